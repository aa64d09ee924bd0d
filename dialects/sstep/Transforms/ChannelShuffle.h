//===- ChannelShuffle.h - Reshape/Transpose/Reshape as a shuffle -*- C++
//-*-===//
//
// ShuffleNet's channel shuffle reaches ONNX as three non-local ops:
//
//   %r = reshape %x  : 1xCxHxW -> 1 x g x C/g x H x W
//   %t = transpose %r [0, 2, 1, 3, 4]
//   %y = reshape %t  : -> 1xCxHxW
//
// which together move channels and nothing else. The pattern replaces them
// with `sstep.channel_shuffle %x {groups = g}`, which is pointwise in space,
// so the network stays one tile group. Sizes H and W must be the same
// before and after, known equal or copied from x (SizeOrigin.h).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_DIALECT_TRANSFORMS_CHANNELSHUFFLE_H
#define SSTEP_DIALECT_TRANSFORMS_CHANNELSHUFFLE_H

#include "mlir/IR/PatternMatch.h"

namespace sstep {

void populateChannelShufflePatterns(mlir::RewritePatternSet &patterns);

} // namespace sstep

#endif // SSTEP_DIALECT_TRANSFORMS_CHANNELSHUFFLE_H
