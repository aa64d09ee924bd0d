//===- SinkTransposes.h - Channel-last blocks as channel ops ----*- C++ -*-===//
//
// Exporters write channel-wise layers of NCHW networks in channels-last
// form: ConvNeXt's `permute(0, 2, 3, 1) -> LayerNorm -> Linear -> GELU ->
// Linear -> scale -> permute(0, 3, 1, 2)`, a channels-first LayerNorm as
// `Transpose -> LayerNormalization -> Transpose`. Transposes are non-local,
// so left alone each ends a tile group and the block runs on the whole
// image. Sinking every transpose towards its users until it meets its
// inverse turns the block into ops on NCHW that are pointwise in space:
//
//   %t = transpose %x [0,2,3,1]                 %n = layer_norm %x, %s'
//   {axes=[1]} %n = layer_norm %t, %s {axes=[3]}     =>    %c = conv2d %n, %w'
//   (1x1, W^T) %m = matmul %n, %w         (w: CxD)         %g = erf %c ... %g =
//   erf %m ...                             (the transposes cancelled) %y =
//   transpose %g [0,3,1,2]
//
// A transpose moves below: pointwise unary ops; add/sub/mul/div whose other
// operand is a constant (re-laid out) or the same transpose of another
// value; layer_norm/softmax/log_softmax with constant scale and bias (their
// axes follow the permutation); and, for the channels-last permutation
// [0,2,3,1], a matmul by a constant C x D matrix (a 1x1 convolution). Two
// transposes in a row compose; one that composes to the identity vanishes.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_DIALECT_TRANSFORMS_SINKTRANSPOSES_H
#define SSTEP_DIALECT_TRANSFORMS_SINKTRANSPOSES_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/PatternMatch.h"

namespace sstep {

void populateSinkTransposesPatterns(mlir::RewritePatternSet &patterns);

/// Applies the patterns to everything under `root` until none applies.
mlir::LogicalResult sinkTransposes(mlir::Operation *root);

/// What the importer runs on a converted graph: these patterns and the
/// channel shuffle's (ChannelShuffle.h).
mlir::LogicalResult cleanUpImport(mlir::Operation *root);

} // namespace sstep

#endif // SSTEP_DIALECT_TRANSFORMS_SINKTRANSPOSES_H
