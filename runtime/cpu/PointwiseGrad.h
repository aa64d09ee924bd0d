//===- PointwiseGrad.h - Plane kernels for the commonest pointwise ops -*- C++
//-*-===//
//
// The backward pass recomputes and differentiates far more pointwise ops
// than convolutions: every BatchNorm is a per-channel mul and add, every
// residual an add, every activation a relu. The reference kernels handle
// any broadcast through generic index arithmetic; these handle the shapes
// trunks have, plane by plane: an operand is an image block containing the
// output's block, or one value per channel ([C,1,1], [1,C,1,1]), or one
// value. Images are computed in float, which for one add, subtract or
// multiply of two floats is the reference's double rounded once: the same
// bits; per-channel sums are in double, and agree to their rounding.
//
// Example: y = x * s + b with x a 1x64x100x100 block and s, b 64x1x1:
// forward, each of the 64 planes is one loop over 10^4 elements per op;
// backward, dx = dy * s per plane and ds[c] = sum over plane c of dy * x.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CPU_POINTWISEGRAD_H
#define SSTEP_RUNTIME_CPU_POINTWISEGRAD_H

#include "runtime/reference/Vjp.h"

#include <optional>

namespace sstep::cpu {

/// Operand i of a pointwise node: its tensor, and its block's region when
/// it is an image (spatial) operand.
struct PointwiseOperand {
  const Tensor *tensor = nullptr;
  bool spatial = false;
  Region region;
};

/// add, sub, mul and relu over `out`, or nothing where an operand has
/// another shape (the caller falls back on the reference kernels).
std::optional<Tensor> pointwiseForward(const Node &node,
                                       const std::vector<PointwiseOperand> &in,
                                       const Region &out);

/// Their gradients, as reference::VjpKernel gives them; nothing likewise.
std::optional<std::vector<Tensor>> pointwiseVjp(const reference::VjpArgs &args);

} // namespace sstep::cpu

#endif // SSTEP_RUNTIME_CPU_POINTWISEGRAD_H
