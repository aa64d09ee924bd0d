//===- MemoryPlan.h - Predicted memory of a tiled run ------------*- C++
//-*-===//
//
// The bytes of the windows a tile keeps live while a backend runs its steps
// one after another (each value from the step computing it, or the tile's
// start for cropped stored values, to its last reader; sinks to the tile's
// end), in the backend's block layout (TileModel.h), plus the weights.
// Values stored whole between stages are counted apart: they live in host
// memory or on disk, not in the working set.
//
// The planner picks the largest tile edge whose predicted peak fits a budget
// and refuses a budget that even the smallest tile exceeds, saying how much
// that tile needs.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PLAN_MEMORYPLAN_H
#define SSTEP_RUNTIME_PLAN_MEMORYPLAN_H

#include "runtime/plan/StreamModel.h"
#include "runtime/plan/TileModel.h"
#include "runtime/plan/Tiling.h"

#include <algorithm>

namespace sstep::plan {

/// Peak bytes live while one tile with windows `w` runs the steps of
/// `schedule` with blocks in `layout`, counting the rows it keeps for the
/// tile below and those kept for it.
int64_t tileWorkingSet(const Program &program, const StageSchedule &schedule,
                       const BlockLayout &layout, const TileWindows &w);

/// How tiles are cut along rows and whether each reuses the rows of the
/// tile above (exec::Backend::keepsRows).
struct TileRows {
  /// Tile rows in input pixels; 0: the tile edge (square tiles).
  int64_t rows = 0;
  bool chained = false;
};

struct MemoryPrediction {
  int64_t tileEdge = 0;
  int64_t tileRows = 0;
  /// The largest tile working set over sampled tiles of every stage.
  int64_t tileBytes = 0;
  int64_t weightBytes = 0;
  /// Images stored whole between stages (and the outputs).
  int64_t storedBytes = 0;
  /// Tiles of each stage.
  std::vector<Size2> grids;
  /// The largest window of the input a tile reads, and the most bytes of
  /// output blocks one tile hands to the writer.
  Region inputWindow;
  int64_t sinkBlockBytes = 0;
  /// What a slide run holds beside its tiles (StreamModel.h); 0 unless the
  /// prediction was asked for a stream.
  int64_t streamBytes = 0;
  /// What the outputs hold after the tiles, once their pages are given back
  /// (StreamModel::finishBytes).
  int64_t finishBytes = 0;

  /// The budgeted working set: the weights, and the tile windows with the
  /// stream's buffers or, after them, the outputs' finishing.
  int64_t workingSet() const {
    return weightBytes + std::max(tileBytes + streamBytes, finishBytes);
  }
};

/// The prediction for an input of size `input` cut into tiles of `tileEdge`
/// input pixels (0: the whole image as one tile). Samples the first, second,
/// middle and last tile rows and columns, where windows differ. `model`:
/// the backend's steps and block layout; `stream`, when the input is
/// streamed from a slide, what its buffers add.
MemoryPrediction predictMemory(const Program &program, const Stages &stages,
                               Size2 input, int64_t tileEdge,
                               const TileRows &rows = {},
                               const TileModel &model = plainModel(),
                               const StreamModel *stream = nullptr);

/// The largest tile edge whose working set fits `budgetBytes`. Throws
/// RuntimeError saying what the smallest tile needs when none fits.
int64_t chooseTileEdge(const Program &program, const Stages &stages,
                       Size2 input, int64_t budgetBytes,
                       const TileModel &model = plainModel(),
                       const StreamModel *stream = nullptr);

/// Rows of the short wide tiles `chooseTiles` picks for a backend that
/// chains tiles: enough for oneDNN to keep its vector units busy, few
/// enough that the tile's blocks stay small. (ResNet-18 at 2048 wide, 2
/// cores: 32 rows ran in 3.0 s at 102 MiB peak, 64 rows in 3.5 s at 108;
/// ResNet-50 6.6 s at 194 MiB against 6.3 s at 205. Fewer rows than the
/// network's stride (32) are rounded up to it by the tile grid.)
constexpr int64_t kChainedTileRows = 32;

/// Chained strips for `budgetBytes`: kChainedTileRows rows and the largest
/// width that fits (the whole width when it does); chooseTileEdge's squares
/// when not even a one-pixel-wide strip fits.
TileShape chooseStrips(const Program &program, const Stages &stages,
                       Size2 input, int64_t budgetBytes,
                       const TileModel &model = plainModel(),
                       const StreamModel *stream = nullptr);

/// The tile shape for `budgetBytes`: the whole image when it fits, else
/// for a backend that chains tiles (`chained`) tiles of kChainedTileRows
/// rows and the largest width that fits, else chooseTileEdge's squares.
TileShape chooseTiles(const Program &program, const Stages &stages, Size2 input,
                      int64_t budgetBytes, bool chained,
                      const TileModel &model = plainModel(),
                      const StreamModel *stream = nullptr);

/// "1.5 GiB" style.
std::string formatBytes(int64_t bytes);

/// Parses "4GiB", "512MiB", "2.5G", "1000000" (bytes); throws
/// std::invalid_argument naming the text.
int64_t parseBytes(const std::string &text);

} // namespace sstep::plan

#endif // SSTEP_RUNTIME_PLAN_MEMORYPLAN_H
