//===- ReferenceBackend.h - The oracle as a tile backend ---------*- C++
//-*-===//
//
// The reference kernels behind the executor's Backend interface: window ops
// compute a block of their output from blocks of their operands in image
// coordinates, every other local op runs on its operands cropped to the
// block. Tiled runs on it equal the whole-image interpreter's results (the
// invariant the tests check); a window that misses a pixel a kernel reads is
// an internal error, never a wrong answer.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_REFERENCE_REFERENCEBACKEND_H
#define SSTEP_RUNTIME_REFERENCE_REFERENCEBACKEND_H

#include "runtime/exec/Executor.h"

#include <functional>
#include <map>

namespace sstep::reference {

class ReferenceBackend : public exec::Backend {
public:
  std::string name() const override { return "reference"; }
  std::vector<Tensor> runOnce(const Node &node,
                              const std::vector<const Tensor *> &) override;
  void beginStage(const Program &program, const plan::Stage &stage,
                  const plan::StageSchedule &schedule,
                  const plan::Sizes &sizes) override;
  int64_t runTile(const plan::Stage &stage, const plan::TileWindows &w,
                  exec::TileContext &context) override;
  std::map<std::string, int64_t> counters() const override;
  std::map<std::string, double> opSeconds() const override { return seconds; }

private:
  const Tensor &block(int v, const plan::TileWindows &w,
                      exec::TileContext &context);

  const Program *program = nullptr;
  const plan::Sizes *sizes = nullptr;
  /// One node a step; what each step releases.
  plan::StageSchedule schedule;
  /// The current tile's blocks, by value.
  std::map<int, Tensor> tile;
  /// Seconds by op (Backend::opSeconds), and where each node of the stage
  /// adds its own (found once a stage), by node id.
  std::map<std::string, double> seconds;
  std::vector<double *> nodeSeconds;
};

/// Block `w.compute` of tile node `node`'s result, from blocks `blockOf(v)`
/// of its image operands (each covering `w.compute[v]`) and whole
/// non-image operands `wholeOf(v)`. Other backends run the ops they lack
/// through this.
/// The block of a value whose consumer reads only border in this tile (a
/// pad's constant, a convolution's zeros): no pixels.
Tensor borderOnlyBlock(const ValueInfo &value);

Tensor runNodeBlock(const Node &node, const Program &program,
                    const plan::Sizes &sizes, const plan::TileWindows &w,
                    const std::function<const Tensor &(int)> &blockOf,
                    const std::function<const Tensor &(int)> &wholeOf);

/// runNodeBlock for a backend that holds its blocks in a form of its own
/// (oneDNN's blocked layouts, device memory): each image operand is
/// converted to an NCHW tensor once, by `toPlain(v)`. The host fallback of
/// every backend for the ops it has no kernel of its own for.
Tensor runNodeOnHost(const Node &node, const Program &program,
                     const plan::Sizes &sizes, const plan::TileWindows &w,
                     const std::function<Tensor(int)> &toPlain,
                     const std::function<const Tensor &(int)> &wholeOf);

/// Runs partitioned `program` on `inputs` in tiles of `tileEdge` pixels of
/// its first input (0: one tile per stage) on the reference kernels.
std::vector<Tensor> runTiled(const Program &program, std::vector<Tensor> inputs,
                             int64_t tileEdge, exec::Stats *stats = nullptr);

} // namespace sstep::reference

#endif // SSTEP_RUNTIME_REFERENCE_REFERENCEBACKEND_H
