//===- Backend.h - What the tile executor asks of a backend ------*- C++
//-*-===//
//
// The executor (Executor.h) owns the schedule: stages, tile grids, windows,
// reductions, stored values, and where inputs come from and outputs go. A
// backend owns the arithmetic: it computes one tile of a stage's tile nodes
// from the blocks the executor hands it, and runs the few nodes that execute
// once (global heads, whole-image normalisations).
//
// A tile's exchange format is NCHW float32 blocks in image coordinates; how a
// backend keeps its blocks between the nodes of one tile (oneDNN's blocked
// layouts, a GPU buffer) is its own business, but it tells the planner what
// it holds (plan::TileModel: its steps and block layout) and runs the steps
// of the schedule it is given, so the planner's prediction is its figure.
//
// Tiles reach a backend as jobs: the executor loads a job's blocks from
// outside the stage, submits it, and routes its sinks when it completes,
// in submission order whatever order jobs complete in. Up to inFlight()
// jobs may be outstanding, so a GPU backend can upload one tile while it
// computes another; the default runs each job at once through runTile.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_EXEC_BACKEND_H
#define SSTEP_RUNTIME_EXEC_BACKEND_H

#include "runtime/core/Program.h"
#include "runtime/core/Region.h"
#include "runtime/plan/ExecutionPlan.h"
#include "runtime/plan/Stages.h"
#include "runtime/plan/TileModel.h"
#include "runtime/plan/Tiling.h"

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sstep::exec {

/// The rows of value `v` a tile loads from outside its stage: its fresh rows
/// when it reuses those of the tile above (none when all are kept), else its
/// whole window.
inline const Region &loadRegion(const plan::TileWindows &w, int v) {
  return w.fresh.empty() ? w.compute[v] : w.fresh[v];
}

/// How Backend::opSeconds names a node: its op, and a convolution's kernel
/// and grouping ("conv2d[3x3 dw]", "conv2d[1x1]", "conv2d[3x3 g4]"), so a
/// profile tells a depthwise convolution from the pointwise one after it.
std::string profileName(const Program &program, const Node &node);

/// One tile handed to a backend.
struct TileJob {
  /// Its place in the executor's order (the backend leaves it alone).
  int64_t sequence = 0;
  const plan::Stage *stage = nullptr;
  plan::TileWindows windows;
  /// Blocks of the values read from outside the stage, loaded before
  /// submission, over `region` (loadRegion).
  struct Block {
    Region region;
    Tensor tensor;
  };
  std::map<int, Block> inputs;
  /// Filled by the backend: each sink's block over windows.compute.
  std::map<int, Tensor> sinks;
  /// The most bytes of blocks the tile held at once.
  int64_t peakBytes = 0;
};

/// The executor's side of one tile.
class TileContext {
public:
  virtual ~TileContext() = default;
  /// Block `region` (inside the image) of `value`, which is computed outside
  /// the stage (a model input or a stored value).
  virtual Tensor load(int value, const Region &region) = 0;
  /// A value without spatial extent (weights, a global result), whole.
  virtual const Tensor &whole(int value) = 0;
  /// The tile's block of sink `value`; it covers the tile's window of the
  /// value (TileWindows::compute) and the executor keeps the owned part.
  virtual void sink(int value, Tensor block) = 0;
};

class Backend : public plan::TileModel {
public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  /// Runs a global or whole node once on whole operands.
  virtual std::vector<Tensor> runOnce(const Node &node,
                                      const std::vector<const Tensor *> &) = 0;

  /// Called once before a stage's tiles, with every value's image size and
  /// the stage's schedule (this backend's TileModel::schedule), which the
  /// backend's tiles follow.
  virtual void beginStage(const Program &program, const plan::Stage &stage,
                          const plan::StageSchedule &schedule,
                          const plan::Sizes &sizes) = 0;

  /// Computes the stage's tile nodes over the windows `w` and hands every
  /// sink's block to `context`. Returns the largest number of bytes of
  /// blocks the tile held at once (the figure MemoryPlan predicts).
  virtual int64_t runTile(const plan::Stage &stage, const plan::TileWindows &w,
                          TileContext &context) = 0;

  /// Starts `job`; `context` serves whole values (and any block the job
  /// lacks) until the job completes. The default runs it now, through
  /// runTile, reading the job's loaded blocks.
  virtual void submit(std::unique_ptr<TileJob> job, TileContext &context);
  /// A submitted job, done; null when none is outstanding. Jobs may
  /// complete in any order.
  virtual std::unique_ptr<TileJob> complete();
  /// How many jobs may be outstanding at once.
  virtual int inFlight() const { return 1; }

  /// Whether the backend honours TileWindows::fresh and ::keep: it keeps
  /// the `keep` part of each value after a tile and, in the next tile,
  /// computes or loads only the `fresh` part.
  virtual bool keepsRows() const { return false; }

  /// Throws RuntimeError naming the constant when one of `values` cannot be
  /// replaced without a new plan (it is compiled into generated code).
  virtual void checkReplaceable(const Program &program,
                                const std::vector<int> &values) const {
    (void)program;
    (void)values;
  }

  /// Constants `values` of the program it runs are about to be replaced
  /// (new weights for a training step): drops what it derived from them
  /// (packed or uploaded weights, memory wrapping them), so that the next
  /// tile reads the new ones. A backend serves one program at a time, whose
  /// address does not change; its constants change only after this.
  virtual void constantsChanged(const std::vector<int> &values) {
    (void)values;
  }

  /// Named counts for --stats ("fused_steps"), backend-specific.
  virtual std::map<std::string, int64_t> counters() const { return {}; }

  /// Where the tiles' time went, for --stats: seconds since the backend was
  /// made, by kind of step (its ops joined by '+', as a fused convolution's
  /// "conv2d+add+relu"), and by the backend's own work between steps.
  virtual std::map<std::string, double> opSeconds() const { return {}; }

  /// What an execution plan for this backend needs to know of it.
  plan::BackendTraits traits() const { return {keepsRows(), this}; }

private:
  /// Jobs the default submit ran, until complete() hands them back.
  std::deque<std::unique_ptr<TileJob>> done;
};

} // namespace sstep::exec

#endif // SSTEP_RUNTIME_EXEC_BACKEND_H
