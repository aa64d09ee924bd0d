//===- ConvGrad.h - The cpu backend's gradient kernels -----------*- C++
//-*-===//
//
// The backward pass's kernels on oneDNN (train/GradKernels.h): a
// convolution's forward block, its input gradient (backward data) and its
// weight and bias gradients (backward weights) run as oneDNN primitives on
// the tile's blocks, padded exactly where the block meets the image's border
// (reference::windowReads), as the forward backend's do. The commonest
// pointwise ops and max pools run as plane kernels (PointwiseGrad.h,
// PoolGrad.h), the activations as oneDNN eltwise primitives
// (EltwiseGrad.h). Every other op, and
// a convolution oneDNN refuses, falls back on the reference kernels.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CPU_CONVGRAD_H
#define SSTEP_RUNTIME_CPU_CONVGRAD_H

#include "runtime/cpu/Blocks.h"
#include "runtime/train/GradKernels.h"

#include <optional>

namespace sstep::cpu {

class ConvGrad : public train::GradKernels {
public:
  /// `threads`: oneDNN's and the reference kernels' (0: all cores).
  explicit ConvGrad(int threads);

  Tensor forward(const Node &node, const Program &program,
                 const plan::Sizes &sizes, const plan::TileWindows &w,
                 const train::BlockFn &blockOf,
                 const train::BlockFn &wholeOf) override;
  std::vector<Tensor> vjp(const reference::VjpArgs &args) override;
  /// Bounds the primitive cache to what the busiest tile used: without
  /// it, every border tile's shapes stayed (JIT code, ~100 KiB each).
  void endTile() override { device.primitives.endTile(); }

  /// Convolution steps (forward, or all of one's gradients) run on oneDNN
  /// and on the reference kernels so far.
  std::map<std::string, int64_t> counters() const override {
    return {{"onednn_convolutions", onednn},
            {"reference_convolutions", fallbacks}};
  }

private:
  void useThreads() const;
  /// The forward block of a pointwise op PointwiseGrad.h takes.
  std::optional<Tensor> pointwise(const Node &node, const plan::TileWindows &w,
                                  const train::BlockFn &blockOf,
                                  const train::BlockFn &wholeOf);

  Device device;
  int threads;
  int64_t onednn = 0, fallbacks = 0;
};

} // namespace sstep::cpu

#endif // SSTEP_RUNTIME_CPU_CONVGRAD_H
