//===- BackwardPlan.h - What one backward tile holds, and tiles for a budget -*-
// C++
//-*-===//
//
// A backward tile keeps the forward blocks of its windows that some VJP
// reads until their producer's VJP has run, the others until the forward
// pass is done with them, plus the gradients alive at each step
// (Backward.h). Both are fixed by the windows, so the peak is predicted by
// replaying the sweep's allocations without arithmetic; the prediction is
// BackwardStats::peakTileBytes exactly (BackwardPropertyTest checks it).
// The budget's tile is the largest square whose prediction fits.
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

namespace sstep::train {

/// What the backward pass keeps of a tile's forward values: a value no VJP
/// reads (reference::vjpReads) is released once its last tile-node reader
/// has run, keeping its shape; the rest stay until their producer's VJP.
struct KeptValues {
  std::vector<bool> read;
  std::vector<int> lastReader;
};
KeptValues keptValues(const Program &program, const plan::Stage &stage);

/// The values released after the stage's `index`-th tile node `node` runs
/// forward: its operands it reads last, and its result when nothing in the
/// stage reads it; none of them read by a VJP.
std::vector<int> releasedAfter(const KeptValues &kept, const Node &node,
                               int index);

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
