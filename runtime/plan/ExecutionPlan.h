//===- ExecutionPlan.h - Every decision of a run, made once -----*- C++ -*-===//
//
// A run's stages, tile shape and predicted memory, decided by one policy
// from the program, the input's size, the backend's traits and what was
// asked. The executor, the slide and patch runs and every report (--stats,
// --plan-info) read the same plan; none derives them again, so the tiles a
// slide run journals are the tiles the executor runs.
//
// The policy, by what was asked:
//   fixed tiles          those tiles;
//   no budget            the whole image (tensors) as one tile;
//   a tensor, a budget   the whole image when it fits, else chained strips
//                        for a backend that chains tiles (kChainedTileRows
//                        rows, as wide as fits), else the largest squares;
//   a slide, a budget    always tiles: chained strips as above, else the
//                        first of 1024, 2048, 4096 level pixels whose halo
//                        costs at most 20%, no larger than fits.
//
// Example: ResNet-18 on a 2048 x 2048 tensor, cpu backend, 64 MiB: the whole
// image needs more, so strips of 32 rows, as wide as fit (all 2048).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PLAN_EXECUTIONPLAN_H
#define SSTEP_RUNTIME_PLAN_EXECUTIONPLAN_H

#include "runtime/plan/MemoryPlan.h"
#include "runtime/plan/StoredValues.h"

namespace sstep::plan {

/// What the plan needs to know of the backend that will run it.
struct BackendTraits {
  /// Whether tiles reuse the rows of the tile above (Backend::keepsRows).
  bool chainsTiles = false;
  /// What it holds per tile (its steps and block layouts).
  const TileModel *model = &plainModel();
};

/// What the caller asks for.
struct TileRequest {
  /// Tiles of this shape when `fixed.edge` > 0.
  TileShape fixed;
  /// Else tiles whose predicted working set fits this many bytes; 0: the
  /// whole image.
  int64_t memoryBudget = 0;
  /// The input is streamed from a slide region by region (always tiles,
  /// small enough to read ahead, report progress and resume by).
  bool slide = false;
  /// Where images stored between stages live (StoredValues.h).
  StorePolicy store = StorePolicy::Auto;
  /// A streamed run's buffers beside the tiles (a slide's reader and
  /// writer, a .npy file's read-ahead and write queue), counted in
  /// `memoryBudget` and the prediction (StreamModel.h); null: not counted.
  const StreamModel *stream = nullptr;
};

struct ExecutionPlan {
  Stages stages;
  /// The first input's size (rows, columns).
  Size2 input{0, 0};
  TileShape tiles;
  /// Tiles run column by column, each reusing the rows of the one above.
  bool chained = false;
  /// Each stage's predicted working set and grid for `tiles`.
  MemoryPrediction memory;
  /// Where the images stored between stages live.
  StoragePlan storage;

  /// The tiling of stage `index` once `sizes` holds its values' sizes.
  StageTiling tiling(const Program &program, size_t index,
                     const Sizes &sizes) const {
    return StageTiling(program, stages.stages.at(index), sizes, tiles);
  }
};

/// The plan for `program` on an input of `input` pixels. Throws
/// RuntimeError when no tile fits the budget, saying what the smallest
/// needs, or when a slide run has neither tiles nor a budget.
ExecutionPlan planExecution(const Program &program, Size2 input,
                            const BackendTraits &backend,
                            const TileRequest &request);

/// The slide policy's square tiles for a backend that does not chain: the
/// first of 1024, 2048 and 4096 level pixels whose interior tile recomputes
/// at most 20% of its share as halo, no larger than chooseTileEdge allows.
/// Smaller tiles stay in cache and bound the memory beside the budget.
int64_t chooseSlideTileEdge(const Program &program, const Stages &stages,
                            Size2 size, int64_t budgetBytes,
                            const TileModel &model = plainModel(),
                            const StreamModel *stream = nullptr);

} // namespace sstep::plan

#endif // SSTEP_RUNTIME_PLAN_EXECUTIONPLAN_H
