//===- BackwardPlan.h - What one backward tile holds, and tiles for a budget -*-
//C++
//-*-===//
//
// A backward tile keeps every forward block of its windows until the
// reverse sweep is done with it, plus the gradients alive at each step
// (Backward.h). Both are fixed by the windows, so the peak is predicted by
// replaying the sweep's allocations without arithmetic; the prediction is
// BackwardStats::peakTileBytes exactly (BackwardPropertyTest checks it).
// The budget's tile is the largest square whose prediction fits.
//
// Example: y = conv3x3(x) (1 -> 8 channels), one 10x10 tile of a 10x10
// image: forward blocks x (100 floats) and y (800); then dy (800); after the
// conv's gradient, dx (100) replaces dy. Peak: 900 + 800 floats = 6800 bytes.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_TRAIN_BACKWARDPLAN_H
#define SSTEP_RUNTIME_TRAIN_BACKWARDPLAN_H

#include "runtime/core/Program.h"
#include "runtime/plan/Tiling.h"

namespace sstep::train {

/// The most bytes of blocks any tile of `tiles` holds in the backward pass
/// of `program` on an input of `inputShape` (NCHW), with or without the
/// input's gradient.
int64_t predictBackwardBytes(const Program &program, const Shape &inputShape,
                             plan::TileShape tiles, bool inputGradient);

/// The largest square tiles whose backward pass fits `budget` bytes (the
/// whole image when it fits). Throws BudgetError saying what the smallest
/// tile needs when none fits.
plan::TileShape chooseBackwardTiles(const Program &program,
                                    const Shape &inputShape, int64_t budget,
                                    bool inputGradient);

} // namespace sstep::train

#endif // SSTEP_RUNTIME_TRAIN_BACKWARDPLAN_H
