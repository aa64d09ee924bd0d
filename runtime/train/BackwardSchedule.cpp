//===- BackwardSchedule.cpp - The steps of one backward tile --------------===//

#include "runtime/train/BackwardSchedule.h"

#include <algorithm>
#include <map>

namespace sstep::train {
namespace {

using Kind = BackwardStep::Kind;

/// Per value, whether an amax over the image reads it: its gradient goes
/// to the pixels equal to the maximum, which the value's producer's VJP
/// step finds in the value's block (Backward.cpp's seeds).
std::vector<bool> tiedMaxOperands(const Program &program) {
  std::vector<bool> read(program.values.size(), false);
  for (const Node &node : program.nodes)
    if (node.op == "global_max_pool2d" && node.attrs.count("split_ties"))
      read[size_t(node.operands[0])] = true;
  return read;
}

/// The values whose block data a step reads.
std::vector<int> dataReads(const Node &node, Kind kind,
                           const std::vector<bool> &tiedMax) {
  std::vector<int> reads;
  if (kind == Kind::Forward) {
    for (size_t i = 0; i < node.operands.size(); ++i)
      if (node.window->spatial[i])
        reads.push_back(node.operands[i]);
    return reads;
  }
  const VjpRule &rule = *node.vjp;
  if (rule.readsResult || tiedMax[size_t(node.results[0])])
    reads.push_back(node.results[0]);
  for (size_t i = 0; i < node.operands.size(); ++i)
    if (node.window->spatial[i] && rule.reads[i])
      reads.push_back(node.operands[i]);
  return reads;
}

/// Segment starts cutting the nodes' result bytes into `segments` shares.
std::vector<int> cut(const Program &program, const plan::Stage &stage,
                     int segments, const std::vector<int64_t> &valueBytes) {
  const int n = int(stage.tileNodes.size());
  std::vector<int64_t> weight(static_cast<size_t>(n));
  int64_t total = 0;
  for (int k = 0; k < n; ++k) {
    int r = program.nodes[stage.tileNodes[k]].results[0];
    weight[size_t(k)] = r < int(valueBytes.size()) ? valueBytes[r] : 0;
    total += weight[size_t(k)];
  }
  std::vector<int> starts{0};
  int64_t sum = 0;
  for (int k = 0; k + 1 < n && int(starts.size()) < segments; ++k) {
    sum += weight[size_t(k)];
    if (sum * segments >= total * int64_t(starts.size()))
      starts.push_back(k + 1);
  }
  return starts;
}

/// Values some step of a node outside their producer's segment reads
/// (model inputs count as produced before every segment).
std::vector<bool> checkpoints(const Program &program, const plan::Stage &stage,
                              const std::vector<int> &segmentOf,
                              const std::vector<bool> &tiedMax) {
  std::vector<int> producer(program.values.size(), -1);
  for (size_t k = 0; k < stage.tileNodes.size(); ++k)
    producer[program.nodes[stage.tileNodes[k]].results[0]] = int(k);
  std::vector<bool> kept(program.values.size(), false);
  for (size_t k = 0; k < stage.tileNodes.size(); ++k) {
    const Node &node = program.nodes[stage.tileNodes[k]];
    for (Kind kind : {Kind::Forward, Kind::Vjp})
      for (int v : dataReads(node, kind, tiedMax))
        if (producer[v] < 0 || segmentOf[size_t(producer[v])] != segmentOf[k])
          kept[v] = true;
  }
  return kept;
}

/// Each block's data goes after the last step that reads it before it is
/// computed again (or after the step computing it, if none reads it).
void addReleases(const Program &program, const plan::Stage &stage,
                 std::vector<BackwardStep> &steps,
                 const std::vector<bool> &tiedMax) {
  std::map<int, int> lastUse; // value -> step of its current block's last use
  auto finish = [&](int v) {
    auto it = lastUse.find(v);
    if (it == lastUse.end())
      return;
    steps[size_t(it->second)].released.push_back(v);
    lastUse.erase(it);
  };
  for (size_t s = 0; s < steps.size(); ++s) {
    const Node &node = program.nodes[stage.tileNodes[steps[s].index]];
    for (int v : dataReads(node, steps[s].kind, tiedMax))
      lastUse[v] = int(s);
    if (steps[s].kind == Kind::Forward) {
      finish(node.results[0]);
      lastUse[node.results[0]] = int(s);
    }
  }
  while (!lastUse.empty())
    finish(lastUse.begin()->first);
}

} // namespace

BackwardSchedule backwardSchedule(const Program &program,
                                  const plan::Stage &stage, int segments,
                                  const std::vector<int64_t> &valueBytes) {
  BackwardSchedule schedule;
  const int n = int(stage.tileNodes.size());
  schedule.segmentStarts =
      cut(program, stage, std::max(1, std::min(segments, n)), valueBytes);
  std::vector<int> segmentOf(static_cast<size_t>(n));
  for (size_t j = 0; j < schedule.segmentStarts.size(); ++j)
    for (int k = schedule.segmentStarts[j]; k < n; ++k)
      segmentOf[size_t(k)] = int(j);
  const std::vector<bool> tiedMax = tiedMaxOperands(program);
  std::vector<bool> kept = checkpoints(program, stage, segmentOf, tiedMax);
  for (int k = 0; k < n; ++k)
    schedule.steps.push_back({Kind::Forward, k, {}});
  const int last = int(schedule.segmentStarts.size()) - 1;
  for (int j = last; j >= 0; --j) {
    int begin = schedule.segmentStarts[size_t(j)];
    int end = j == last ? n : schedule.segmentStarts[size_t(j + 1)];
    if (j < last)
      for (int k = begin; k < end; ++k)
        if (!kept[program.nodes[stage.tileNodes[k]].results[0]]) {
          schedule.steps.push_back({Kind::Forward, k, {}});
          ++schedule.recomputed;
        }
    for (int k = end - 1; k >= begin; --k)
      schedule.steps.push_back({Kind::Vjp, k, {}});
  }
  addReleases(program, stage, schedule.steps, tiedMax);
  return schedule;
}

} // namespace sstep::train
