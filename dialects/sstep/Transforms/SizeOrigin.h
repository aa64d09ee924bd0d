//===- SizeOrigin.h - Which value a dimension's size comes from -*- C++ -*-===//
//
// With dynamic H and W, two tensors' sizes are known equal only by where
// they come from: a transpose, a reshape entry that copies a dimension, a
// same-shape op all pass a size on. The origin of (value, axis) is the
// earliest (value, axis) whose size it copies.
//
// Example: %r = reshape %x [0, 2, 4, -4, -5] (x: 1x8x?x?), %t = transpose %r
// [0, 2, 1, 3, 4]: the origin of (%t, 3) is (%x, 2).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_DIALECT_TRANSFORMS_SIZEORIGIN_H
#define SSTEP_DIALECT_TRANSFORMS_SIZEORIGIN_H

#include "mlir/IR/Value.h"

#include <utility>

namespace sstep {

std::pair<mlir::Value, int64_t> originOf(mlir::Value v, int64_t axis);

/// Whether dimension `ai` of `a` and `bi` of `b` are equal: both known and
/// equal, or copies of one origin.
bool sameDim(mlir::Value a, int64_t ai, mlir::Value b, int64_t bi);

} // namespace sstep

#endif // SSTEP_DIALECT_TRANSFORMS_SIZEORIGIN_H
