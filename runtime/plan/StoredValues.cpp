//===- StoredValues.cpp - Where images kept between stages live -----------===//

#include "runtime/plan/StoredValues.h"
#include "runtime/plan/TileModel.h"

#include <algorithm>
#include <stdexcept>

namespace sstep::plan {

StorePolicy parseStorePolicy(const std::string &text) {
  if (text == "auto")
    return StorePolicy::Auto;
  if (text == "memory")
    return StorePolicy::Memory;
  if (text == "disk")
    return StorePolicy::Disk;
  throw std::invalid_argument("takes auto, memory or disk, got '" + text + "'");
}

namespace {

/// Whether every reader of `v` reads it through a tile window.
bool readInWindows(const Program &program, int v) {
  for (const Node &node : program.nodes)
    for (size_t i = 0; i < node.operands.size(); ++i) {
      if (node.operands[i] != v || node.role == Role::Reduce)
        continue;
      if (node.role != Role::Tile || !node.window || !node.window->spatial[i])
        return false;
    }
  return true;
}

/// The stage after which nothing reads each value (-1: kept to the end).
std::vector<int> releasePoints(const Program &program, const Stages &stages) {
  std::vector<int> last(program.values.size(), -1);
  for (const Node &node : program.nodes)
    for (int v : node.operands)
      last[v] = std::max(last[v], node.stage);
  for (int v : program.outputs)
    last[v] = -1;
  for (const auto &[v, shape] : program.constants.shapes())
    last[v] = -1;
  for (size_t v = 0; v < last.size(); ++v)
    if (!stages.stored[v])
      last[v] = -1;
  return last;
}

void countPeaks(StoragePlan &plan, size_t stageCount) {
  plan.memoryPeakBytes = plan.diskPeakBytes = 0;
  for (size_t s = 0; s < stageCount; ++s) {
    int64_t memory = 0, disk = 0;
    for (const StoredValue &v : plan.values)
      if (v.firstStage <= int(s) && int(s) <= v.lastStage)
        (v.onDisk ? disk : memory) += v.bytes;
    plan.memoryPeakBytes = std::max(plan.memoryPeakBytes, memory);
    plan.diskPeakBytes = std::max(plan.diskPeakBytes, disk);
  }
}

} // namespace

StoragePlan planStorage(const Program &program, const Stages &stages,
                        const Sizes &sizes, StorePolicy policy,
                        int64_t budgetBytes, int64_t workingSet) {
  StoragePlan plan;
  plan.releaseAfter = releasePoints(program, stages);
  const int lastStage = int(stages.stages.size()) - 1;
  for (size_t i = 0; i < program.values.size(); ++i) {
    int v = int(i);
    int from = stages.producer[v];
    // Outputs are returned or streamed, not kept between stages.
    bool output = std::find(program.outputs.begin(), program.outputs.end(),
                            v) != program.outputs.end();
    if (!stages.stored[v] || from < 0 || output ||
        program.nodes[from].role != Role::Tile)
      continue;
    StoredValue s;
    s.value = v;
    if (sizes[v][0] > 0)
      s.bytes = BlockLayout().bytes(program, v, Region::whole(sizes[v]));
    s.firstStage = program.nodes[from].stage;
    s.lastStage = plan.releaseAfter[v] < 0 ? lastStage : plan.releaseAfter[v];
    s.mayGoToDisk =
        program.values[v].shape.size() == 4 && readInWindows(program, v);
    plan.values.push_back(s);
  }
  countPeaks(plan, stages.stages.size());
  bool toDisk = policy == StorePolicy::Disk ||
                (policy == StorePolicy::Auto && budgetBytes > 0 &&
                 workingSet + plan.memoryPeakBytes > budgetBytes);
  plan.disk.assign(program.values.size(), false);
  if (toDisk) {
    for (StoredValue &s : plan.values)
      plan.disk[s.value] = s.onDisk = s.mayGoToDisk;
    countPeaks(plan, stages.stages.size());
  }
  return plan;
}

std::vector<RecomputedValue> recomputedValues(const Program &program) {
  std::vector<int> producer(program.values.size(), -1);
  for (size_t id = 0; id < program.nodes.size(); ++id)
    for (int v : program.nodes[id].results)
      producer[v] = int(id);
  std::vector<RecomputedValue> out;
  std::vector<bool> listed(program.values.size(), false);
  for (const Node &node : program.nodes) {
    if (node.has("sstep.recomputed"))
      continue;
    for (int v : node.operands) {
      int from = producer[v];
      if (from < 0 || listed[v] || !program.nodes[from].has("sstep.recomputed"))
        continue;
      listed[v] = true;
      RecomputedValue r{v, program.nodes[from].stage, 0};
      for (const Node &other : program.nodes)
        r.ops += other.has("sstep.recomputed") && other.stage == r.stage;
      out.push_back(r);
    }
  }
  return out;
}

} // namespace sstep::plan
