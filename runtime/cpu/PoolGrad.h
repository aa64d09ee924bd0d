//===- PoolGrad.h - Max pooling's plane kernels for the backward pass -*- C++
//-*-===//
//
// A ResNet's stem max pool reads the largest values of a tile (64 channels
// at half resolution); its backward tile computes it twice forward and
// differentiates it once. These walk the same taps in the same order as the
// reference (reference/PoolGeometry.h: the first maximum in row-major order
// wins, a NaN first of all, as in PyTorch), with the bounds checked once per
// output pixel, not per tap, where the window lies inside the image, and the
// gradient summed in place in float rather than through a plane of fp64
// accumulators: ResNet-34's max pool gradient at 2048² went from 2.04 to
// 1.52 s. The forward pass is bound by each output's chain of compares
// (about 15 ns an output here, as the reference's); comparing a tap across a
// row's outputs at once needs vector blends the portable build (no -march)
// does not emit, which is where its speed is.
//
// Example: a 3x3 window of stride 2 and pad 1 over a 64x300x300 block:
// each of the 64 planes' 150x150 outputs, but its first row and column,
// compares nine taps at fixed offsets; the gradient goes to the picked tap.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CPU_POOLGRAD_H
#define SSTEP_RUNTIME_CPU_POOLGRAD_H

#include "runtime/reference/Vjp.h"

#include <optional>

namespace sstep::cpu {

/// max_pool2d's result over `to` from the NCHW block `x` placed at `from`,
/// or nothing for another op or a block that does not hold the windows.
std::optional<Tensor> maxPoolForward(const Node &node, const Tensor &x,
                                     const Placed &from, const Placed &to);

/// Its gradient, as reference::VjpKernel gives it; nothing likewise.
std::optional<std::vector<Tensor>> maxPoolVjp(const reference::VjpArgs &args);

} // namespace sstep::cpu

#endif // SSTEP_RUNTIME_CPU_POOLGRAD_H
