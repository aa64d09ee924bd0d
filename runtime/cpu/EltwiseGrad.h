//===- EltwiseGrad.h - Activations on oneDNN's eltwise primitives -*- C++
//-*-===//
//
// The backward pass recomputes and differentiates every activation of a
// tile: in EfficientNet, the SiLUs took more time than the convolutions on
// the reference kernels (a double exp an element). oneDNN's eltwise
// primitives compute them vectorized, forward (training) and backward from
// the operand's values, on the tile's NCHW blocks: silu (swish), sigmoid
// (logistic), tanh, gelu (erf), hard_swish, hard_sigmoid and leaky_relu
// (relu with a slope). Their kinks are PyTorch's: leaky_relu takes the
// slope at 0, hard_sigmoid passes the gradient strictly inside (0, 1).
//
// Example: silu over a 1x96x300x300 block is one eltwise_swish primitive
// (alpha 1) forward, and one eltwise_swish backward from x and dy.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CPU_ELTWISEGRAD_H
#define SSTEP_RUNTIME_CPU_ELTWISEGRAD_H

#include "runtime/cpu/Blocks.h"
#include "runtime/reference/Vjp.h"

#include <optional>

namespace sstep::cpu {

/// `node`'s result over `out` from its operand's block `x` (holding
/// `from`), or nothing for an op oneDNN's eltwise does not compute.
std::optional<Tensor> eltwiseForward(Device &device, const Node &node,
                                     const Tensor &x, const Region &from,
                                     const Region &out);

/// Its gradient, as reference::VjpKernel gives it; nothing likewise, or
/// when the operand's values were not kept.
std::optional<std::vector<Tensor>> eltwiseVjp(Device &device,
                                              const reference::VjpArgs &args);

} // namespace sstep::cpu

#endif // SSTEP_RUNTIME_CPU_ELTWISEGRAD_H
