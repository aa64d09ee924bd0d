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

} // namespace sstep::train

#endif // SSTEP_RUNTIME_TRAIN_BACKWARDSCHEDULE_H
