//===- Stages.h - The tile groups of a partitioned Program -------*- C++
//-*-===//
//
// The partitioner (compiler/Partition) gives every node a role and a stage;
// this gathers them into the order the runtime follows. Stage N runs its
// global nodes, then its tile nodes tile by tile (feeding its reductions and
// filling its materialised values), then finishes its reductions and runs its
// whole nodes.
//
// Example, a squeeze-and-excitation block: stage 0 tiles the conv, whose
// output is materialised and reduced by the global pool; stage 1 runs the
// bottleneck (global) and tiles the multiply, reading the materialised map.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PLAN_STAGES_H
#define SSTEP_RUNTIME_PLAN_STAGES_H

#include "runtime/core/Program.h"

#include <vector>

namespace sstep::plan {

struct Stage {
  std::vector<int> globalNodes;
  std::vector<int> tileNodes;
  std::vector<int> reduceNodes;
  std::vector<int> wholeNodes;
  /// Values each tile produces its own share of: materialised images
  /// computed here, and the operands of the reductions.
  std::vector<int> sinks;
};

struct Stages {
  std::vector<Stage> stages;
  /// Per value: whether it is stored whole (an input, a constant, a result
  /// of a whole, reduce or global node, or a tile value read outside its
  /// stage or returned).
  std::vector<bool> stored;
  /// Per value: the node computing it, -1 for inputs and constants.
  std::vector<int> producer;
};

/// The stages of `program`, which the partitioner has annotated. Throws
/// RuntimeError when a node has no role or reads a value of a later stage.
Stages planStages(const Program &program);

} // namespace sstep::plan

#endif // SSTEP_RUNTIME_PLAN_STAGES_H
