//===- GradKernels.h - What the backward pass asks of a backend --*- C++
//-*-===//
//
// The backward pass (Backward.h) owns the schedule: tiles, windows, seeds,
// sums. A backend's gradient kernels own the arithmetic of one node over
// one tile: its forward block (recomputed, and kept for the backward), and
// its vector-Jacobian product (reference/Vjp.h's contract). The defaults
// are the reference backend's plain loops, the oracle; the cpu backend's
// override the convolutions with oneDNN's forward and backward primitives
// (cpu/ConvGrad.cpp) and fall back on these for the rest.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_TRAIN_GRADKERNELS_H
#define SSTEP_RUNTIME_TRAIN_GRADKERNELS_H

#include "runtime/plan/Tiling.h"
#include "runtime/reference/ReferenceBackend.h"
#include "runtime/reference/Vjp.h"

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace sstep::train {

using BlockFn = std::function<const Tensor &(int)>;

class GradKernels {
public:
  virtual ~GradKernels() = default;

  /// `node`'s result over w.compute[result], from its operands' blocks
  /// (blockOf) and whole values (wholeOf).
  virtual Tensor forward(const Node &node, const Program &program,
                         const plan::Sizes &sizes, const plan::TileWindows &w,
                         const BlockFn &blockOf, const BlockFn &wholeOf) {
    return reference::runNodeBlock(node, program, sizes, w, blockOf, wholeOf);
  }

  /// The node's gradients by operand, as reference::VjpKernel returns them.
  virtual std::vector<Tensor> vjp(const reference::VjpArgs &args) {
    return reference::vjpKernels().at(args.node.op)(args);
  }

  /// A tile's steps are done: state kept for like tiles (a backend's
  /// primitives) may drop what this tile did not use.
  virtual void endTile() {}

  /// Named counts for the run's statistics ("onednn_convolutions").
  virtual std::map<std::string, int64_t> counters() const { return {}; }
};

/// The gradient kernels of backend `name` ("reference", "cpu"); throws
/// RuntimeError naming a backend without them.
std::unique_ptr<GradKernels> gradKernels(const std::string &name,
                                         int threads = 0);

} // namespace sstep::train

#endif // SSTEP_RUNTIME_TRAIN_GRADKERNELS_H
