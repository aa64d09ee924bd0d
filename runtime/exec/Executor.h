//===- Executor.h - Runs a partitioned Program stage by stage ----*- C++
//-*-===//
//
// The backend-neutral schedule: for each stage, its global nodes once, its
// tile nodes tile by tile on a backend (feeding reductions and stored values),
// then its reductions and whole nodes. Inputs are tensors in memory or
// streamed from a source region by region (a slide); image outputs are
// returned whole or streamed to a sink block by block (a TIFF), so a slide's
// size never enters the working set.
//
// Example: a ResNet trunk on a slide is one stage; each tile reads its input
// window (tile plus halo) from the slide source and hands the block of the
// feature map it owns to the writer.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_EXEC_EXECUTOR_H
#define SSTEP_RUNTIME_EXEC_EXECUTOR_H

#include "runtime/exec/Backend.h"
#include "runtime/exec/Checkpoint.h"

#include <functional>
#include <map>
#include <vector>

namespace sstep::exec {

/// An input read one region at a time.
class InputSource {
public:
  virtual ~InputSource() = default;
  /// N, C, H, W of the whole input.
  virtual Shape shape() const = 0;
  /// The regions a stage will read, in order, before the first read: a
  /// source may read ahead on its own threads.
  virtual void expect(const std::vector<Region> &regions) { (void)regions; }
  /// Block `region` (inside the image), NCHW.
  virtual Tensor read(const Region &region) = 0;
};

/// An image output received one owned block at a time; the blocks of all
/// tiles are disjoint and cover the image, except those of skipped tiles.
class OutputSink {
public:
  virtual ~OutputSink() = default;
  /// Called once, before any block, with N, C, H, W of the whole output.
  virtual void begin(const Shape &shape) = 0;
  /// `block` holds exactly `region` of the output.
  virtual void write(const Region &region, const Tensor &block) = 0;
  /// Called once after the last block.
  virtual void finish() {}
};

/// A tile of a stage.
struct TileId {
  int stage = 0;
  int64_t row = 0, col = 0;
  /// Its index in row-major order, and the stage's tile count.
  int64_t index = 0, count = 0;
};

struct Options {
  /// For execute() without a plan: tile edge in pixels of the first input;
  /// 0: one tile per stage.
  int64_t tileEdge = 0;
  /// For execute() without a plan: tile rows in pixels of the first input;
  /// 0: tileEdge (square tiles). With a backend that keeps rows
  /// (Backend::keepsRows), tiles run column by column, top to bottom, each
  /// reusing the rows the tile above computed, so short wide tiles
  /// recompute only their side halos.
  int64_t tileRows = 0;
  /// Streamed inputs, by input index; their tensors are not given.
  std::map<size_t, InputSource *> sources;
  /// Streamed outputs, by output index; they are returned empty.
  std::map<size_t, OutputSink *> sinks;
  /// When set and false for a tile, the tile is not computed: streamed
  /// outputs get no block from it, stored values keep zeros there and
  /// reductions do not see it. Given the tile's window of each value.
  /// Asked in the order tiles are handed out, which with a backend that
  /// keeps several in flight (Backend::inFlight) is before the blocks of
  /// the tiles ahead of it are routed: its side effects (a sink told to
  /// fill a skipped block) must not depend on those.
  std::function<bool(const TileId &, const plan::TileWindows &)> wanted;
  /// With `wanted`: the same decision, without its side effects, so that
  /// the executor can tell its sources what it will read and in which order
  /// (chains restarted and primed after skipped tiles included). Without
  /// it, a run with `wanted` reads on demand.
  std::function<bool(const TileId &)> willRun;
  /// Called after each tile, run or skipped, in order, once its blocks are
  /// routed.
  std::function<void(const TileId &, bool ran)> progress;
  /// The folder for the stored images the plan puts on disk
  /// (plan/StoredValues.h); empty: $TMPDIR, else /tmp.
  std::string scratchFolder;
  /// Where the run saves checkpoints, and resumes from the one found there
  /// (exec/Checkpoint.h); its stored images then live in its folder. Null:
  /// none. The run must be one whyNotCheckpointed accepts.
  Checkpoints *checkpoints = nullptr;
  /// Called, in order, for each tile a resumed run finds done instead of
  /// running it, with its windows: its blocks of streamed outputs were
  /// written by the run that saved the checkpoint.
  std::function<void(const TileId &, const plan::TileWindows &)> resumed;
};

struct Stats {
  /// Tiles per stage.
  std::vector<Size2> grids;
  int64_t tilesRun = 0;
  /// Tiles not run, resumed ones (done before a checkpoint) included.
  int64_t tilesSkipped = 0, tilesResumed = 0;
  /// Tiles that reused the rows of the tile above.
  int64_t tilesChained = 0;
  /// Tiles run before a chain's first tile to compute its halo a few rows
  /// at a time (plan::StageTiling::primingWindows); not in tilesRun.
  int64_t tilesPriming = 0;
  /// The largest working set of one tile (the backend's figure).
  int64_t peakTileBytes = 0;
  /// Seconds in the backend's tiles, in once-nodes, reading sources and
  /// writing sinks.
  double tileSeconds = 0, onceSeconds = 0, readSeconds = 0, writeSeconds = 0;
  /// The backend's own counters at the end of the run (Backend::counters).
  std::map<std::string, int64_t> counters;
  /// The backend's seconds by kind of step (Backend::opSeconds).
  std::map<std::string, double> opSeconds;
  /// Images stored between stages: the most bytes in memory at once, on
  /// disk at once, and the bytes written to and read from scratch files.
  int64_t storedPeakBytes = 0, scratchPeakBytes = 0;
  int64_t scratchWritten = 0, scratchRead = 0;
  /// The plan's tiles and prediction (peakTileBytes's predicted twin).
  plan::TileShape tiles;
  plan::MemoryPrediction predicted;
  /// Where the plan put the images stored between stages.
  plan::StoragePlan storage;
};

/// Runs `program`, which the partitioner has annotated, on `backend` as
/// `plan` (made for this program and the backend's traits) says. `inputs`
/// holds one tensor per input (empty for streamed ones). Returns one tensor
/// per output (empty for streamed ones). Throws RuntimeError.
std::vector<Tensor> execute(const Program &program,
                            const plan::ExecutionPlan &plan, Backend &backend,
                            std::vector<Tensor> inputs,
                            const Options &options = {},
                            Stats *stats = nullptr);

/// The same with a plan of tiles options.tileEdge x options.tileRows.
std::vector<Tensor> execute(const Program &program, Backend &backend,
                            std::vector<Tensor> inputs,
                            const Options &options = {},
                            Stats *stats = nullptr);

/// The first input's size (rows, columns), from its source or its tensor;
/// {0, 0} when it is not an image.
Size2 firstInputSize(const std::vector<Tensor> &inputs, const Options &options);

} // namespace sstep::exec

#endif // SSTEP_RUNTIME_EXEC_EXECUTOR_H
