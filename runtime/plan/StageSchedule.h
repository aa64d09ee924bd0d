//===- StageSchedule.h - A tile's steps and when its values die -*- C++ -*-===//
//
// A backend runs a stage's tile nodes in steps: one node, or several it runs
// as one call (a convolution with its bias, residual sum and activation as
// oneDNN post-ops). Within a tile a value is held from the step computing it
// (values from outside the stage: from the tile's start) to the last step
// reading it; sinks to the tile's end; the results of a step's inner nodes
// never. These facts are computed here once per stage, and the planner's
// prediction (MemoryPlan.h) and the backends' releases both read them, so
// that what is predicted is what is held.
//
// Example: `a = conv(x); b = add(a, x); c = relu(b)` with the cpu backend's
// groups {[conv, add, relu]}: one step with result c; a and b are inner;
// x is released after step 0; c, a sink, is held to the tile's end.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PLAN_STAGESCHEDULE_H
#define SSTEP_RUNTIME_PLAN_STAGESCHEDULE_H

#include "runtime/plan/Stages.h"

#include <map>
#include <set>
#include <vector>

namespace sstep::plan {

struct StageSchedule {
  struct Step {
    /// Node ids in order; the last computes the step's result.
    std::vector<int> nodes;
    int result = -1;
    /// The results of all its nodes (inner ones and the result).
    std::vector<int> results;
    /// A value the step writes its result into, in place, when the step is
    /// its last reader and its block is exactly the result's (the cpu
    /// backend's residual sum accumulates onto the residual's own block);
    /// -1: none.
    int overwrites = -1;
  };
  std::vector<Step> steps;
  /// Per step: the values no later step reads and that are not sinks.
  std::vector<std::vector<int>> releasedAfter;
  /// Per value read or held in the stage: the last step reading it; the
  /// step count for sinks (held to the tile's end).
  std::map<int, size_t> lastUse;
  /// Step results: the values the stage computes and holds.
  std::set<int> computed;
  /// Results of a step's inner nodes, never held.
  std::set<int> inner;
  /// Values read from outside the stage (inputs, stored values).
  std::set<int> loaded;

  /// Whether the tile holds blocks of `v` at all.
  bool held(int v) const { return computed.count(v) || loaded.count(v); }
};

/// The schedule of `stage` with the backend's `groups`: its tile nodes cut
/// into consecutive runs, each one step (empty: one node a step). Throws
/// RuntimeError when the groups are not the stage's nodes in order.
StageSchedule scheduleStage(const Program &program, const Stage &stage,
                            const std::vector<std::vector<int>> &groups = {});

} // namespace sstep::plan

#endif // SSTEP_RUNTIME_PLAN_STAGESCHEDULE_H
