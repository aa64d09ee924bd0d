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
// layouts, a GPU buffer) is its own business.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_EXEC_BACKEND_H
#define SSTEP_RUNTIME_EXEC_BACKEND_H

#include "runtime/core/Program.h"
#include "runtime/core/Region.h"
#include "runtime/plan/Stages.h"
#include "runtime/plan/Tiling.h"

#include <map>
#include <string>
#include <vector>

namespace sstep::exec {

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
  virtual void sink(int value, const Tensor &block) = 0;
};

class Backend {
public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  /// Runs a global or whole node once on whole operands.
  virtual std::vector<Tensor> runOnce(const Node &node,
                                      const std::vector<const Tensor *> &) = 0;

  /// Called once before a stage's tiles, with every value's image size.
  virtual void beginStage(const Program &program, const plan::Stage &stage,
                          const plan::Sizes &sizes) = 0;

  /// Computes the stage's tile nodes over the windows `w` and hands every
  /// sink's block to `context`. Returns the largest number of bytes of
  /// blocks the tile held at once (the figure MemoryPlan predicts).
  virtual int64_t runTile(const plan::Stage &stage, const plan::TileWindows &w,
                          TileContext &context) = 0;

  /// Whether the backend honours TileWindows::fresh and ::keep: it keeps
  /// the `keep` part of each value after a tile and, in the next tile,
  /// computes or loads only the `fresh` part.
  virtual bool keepsRows() const { return false; }

  /// Named counts for --stats ("fused_steps"), backend-specific.
  virtual std::map<std::string, int64_t> counters() const { return {}; }
};

} // namespace sstep::exec

#endif // SSTEP_RUNTIME_EXEC_BACKEND_H
