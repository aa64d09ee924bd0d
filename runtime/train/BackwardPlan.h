//===- BackwardPlan.h - What one backward tile holds, and tiles for a budget -*-
// C++
//-*-===//
//
// A backward tile holds the forward blocks of its windows until the last
// step that reads them (BackwardSchedule.h), plus the gradients alive at
// each step (Backward.h). Both are fixed by the windows and the schedule,
// so the peak is predicted by replaying the steps' allocations without
// arithmetic; the prediction is BackwardStats::peakTileBytes exactly
// (BackwardPropertyTest checks it). For a budget, the planner weighs tile
// edges against segment counts: bigger tiles repeat less of their halo,
// more segments recompute more.
//
// Example: y = conv3x3(x) (1 -> 8 channels), one 10x10 tile of a 10x10
// image: forward blocks x (100 floats, which the conv's VJP reads) and y
// (800, which nothing reads: released at once, after the peak of 900); dy
// (800); after the conv's gradient, y's block and dy go and dx (100)
// arrives. Peak: 100 + 800 = 900 floats, 3600 bytes.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_TRAIN_BACKWARDPLAN_H
#define SSTEP_RUNTIME_TRAIN_BACKWARDPLAN_H

#include "runtime/core/Program.h"
#include "runtime/plan/Stages.h"
#include "runtime/plan/Tiling.h"
#include "runtime/train/BackwardSchedule.h"

namespace sstep::train {

/// Per value, the bytes of its whole image on an input of `inputShape`
/// (0 for constants): the weights BackwardSchedule cuts segments by.
std::vector<int64_t> valueBytes(const Program &program,
                                const plan::Sizes &sizes,
                                const Shape &inputShape);

/// The most bytes of blocks any tile of `tiles` holds in the backward pass
/// of `program` on an input of `inputShape` (NCHW), with or without the
/// input's gradient, its nodes cut into `segments` (BackwardSchedule.h).
int64_t predictBackwardBytes(const Program &program, const Shape &inputShape,
                             plan::TileShape tiles, bool inputGradient,
                             int segments = 1);

/// Per stage, the steps of its tiles when `tiles` cut it and its nodes are
/// cut into `segments` segments: equal-bytes cuts (BackwardSchedule.h)
/// moved to where the replayed peak of the stage's tiles is least. What
/// Backward.cpp runs and predictBackwardBytes replays.
std::vector<BackwardSchedule>
backwardSchedules(const Program &program, const Shape &inputShape,
                  plan::TileShape tiles, bool inputGradient, int segments);

/// The same for the steps `schedules` give each stage (one per stage, as
/// backwardSchedules returns them; a stage without tile nodes takes any).
int64_t predictBackwardBytes(const Program &program, const Shape &inputShape,
                             plan::TileShape tiles, bool inputGradient,
                             const std::vector<BackwardSchedule> &schedules);

/// Per value, whether a tile node of a later stage than its producer's
/// reads it: the images the forward stages of a backward pass keep whole.
std::vector<bool> readByLaterStages(const Program &program);

/// The most bytes of whole images a backward pass of `program` on an input
/// of `inputShape` keeps between stages at once (StoredImages.h: the
/// forward values later stages read, the gradients summed for them); 0 for
/// a trunk of one stage. BackwardStats::storedPeakBytes in memory, less
/// the small values; scratchPeakBytes in scratch files.
int64_t predictStoredBytes(const Program &program, const Shape &inputShape);

struct BackwardTiling {
  plan::TileShape tiles;
  int segments = 1;
};

/// Tiles and a segment count whose backward pass fits `budget` bytes, the
/// least work of those (for each count of 1, 2, 3, 4, 6, 8, 10 and 12 segments,
/// or only `segments` when it is given, the largest square tiles that fit, or
/// the whole image). Throws BudgetError saying what the smallest tile
/// needs when none fits.
BackwardTiling chooseBackwardTiles(const Program &program,
                                   const Shape &inputShape, int64_t budget,
                                   bool inputGradient, int segments = 0);

} // namespace sstep::train

#endif // SSTEP_RUNTIME_TRAIN_BACKWARDPLAN_H
