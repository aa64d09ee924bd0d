//===- BackwardSchedule.h - The steps of one backward tile -------*- C++
//-*-===//
//
// A backward tile runs its nodes forward, then their VJPs in reverse. Kept
// whole, the forward blocks the VJPs read are most of a tile's memory. With
// checkpointing, the stage's nodes are cut into segments: the first forward
// pass keeps only the checkpoints (values a later segment reads, and what
// the last segment's VJPs read); before each earlier segment's VJPs run,
// its other values are recomputed from the checkpoints. A tile then holds
// the checkpoints plus one segment's values, for one more forward pass of
// all but the last segment.
//
// The steps and, after each, the forward blocks whose data goes (their
// shapes stay for the gradients' shapes) are fixed by the stage and the
// cut, not by the tile: Backward.cpp runs them, BackwardPlan.cpp replays
// them to predict a tile's peak bytes exactly.
//
// Example: a -> b -> c -> d (a: the input), each node's VJP reading its
// operand, two segments {b, c} {d}. c is a checkpoint (d reads it), b is
// not. Steps: F b, F c (b released: its next reader reads a recomputed
// b), F d (d released: no VJP reads it), V d (c released), F b, V c (b
// released), V b (a released).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_TRAIN_BACKWARDSCHEDULE_H
#define SSTEP_RUNTIME_TRAIN_BACKWARDSCHEDULE_H

#include "runtime/core/Program.h"
#include "runtime/plan/Stages.h"

#include <functional>

namespace sstep::train {

struct BackwardStep {
  enum Kind { Forward, Vjp } kind = Forward;
  /// The node, by its index in the stage's tile nodes.
  int index = 0;
  /// Forward blocks whose data goes after this step.
  std::vector<int> released;
};

struct BackwardSchedule {
  std::vector<BackwardStep> steps;
  /// Where each segment starts, in tile-node indices.
  std::vector<int> segmentStarts;
  /// Forward steps beyond the first pass (recomputed nodes).
  int recomputed = 0;
};

/// The steps of a tile of `stage` cut into `segments` runs of nodes of
/// about equal bytes kept for the VJPs (`valueBytes`: per value, the bytes
/// of its whole image, which weigh the cut), each cut moved, within half a
/// share, to where the fewest bytes cross it (they become checkpoints).
/// One segment: one forward pass then the VJPs, nothing recomputed.
BackwardSchedule backwardSchedule(const Program &program,
                                  const plan::Stage &stage, int segments,
                                  const std::vector<int64_t> &valueBytes);

/// The steps of a tile of `stage` whose segments start at the tile nodes
/// `segmentStarts` (ascending, the first 0).
BackwardSchedule backwardSchedule(const Program &program,
                                  const plan::Stage &stage,
                                  const std::vector<int> &segmentStarts);

/// What a cut costs: a tile's peak bytes, then its recomputed nodes.
using CutCost =
    std::function<std::pair<int64_t, int>(const std::vector<int> &)>;

/// `segmentStarts` over `nodes` tile nodes with each cut moved, one at a
/// time, to the node between its neighbours' where `cost` is least, until
/// no move lowers it (at most `sweeps` rounds). Bytes weigh the first cut
/// but not what a tile holds: a ResNet's stem (four 64-channel values at
/// half resolution, more than a share of ten) pulls equal-bytes cuts inside
/// it, each of its large values a checkpoint, where the tile's peak, its
/// replay says, is lower with one cut after the max pool.
///
/// Example: starts {0, 2, 5} over 8 nodes; the cut at 2 tries 1, 3 and 4,
/// then the cut at 5 tries 4 (or wherever the first went) + 1 ... 7.
std::vector<int> tuneCuts(std::vector<int> segmentStarts, int nodes,
                          const CutCost &cost, int sweeps = 3);

} // namespace sstep::train

#endif // SSTEP_RUNTIME_TRAIN_BACKWARDSCHEDULE_H
