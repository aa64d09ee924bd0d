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

int64_t bytesOf(const std::vector<int64_t> &valueBytes, int v) {
  return v >= 0 && v < int(valueBytes.size()) ? valueBytes[size_t(v)] : 0;
}

/// Per cut before tile node k (1 <= k < n): the bytes of the stage's values
/// produced before k that a step of node k or later reads. Those become
/// checkpoints, kept from the first forward pass to their last VJP.
std::vector<int64_t> crossingBytes(const Program &program,
                                   const plan::Stage &stage,
                                   const std::vector<int64_t> &valueBytes,
                                   const std::vector<bool> &tiedMax) {
  const int n = int(stage.tileNodes.size());
  std::map<int, int> producer, lastReader;
  for (int k = 0; k < n; ++k) {
    const Node &node = program.nodes[stage.tileNodes[size_t(k)]];
    producer[node.results[0]] = k;
    for (Kind kind : {Kind::Forward, Kind::Vjp})
      for (int v : dataReads(node, kind, tiedMax))
        lastReader[v] = k;
  }
  // Value v crosses the cuts producer(v) + 1 ... lastReader(v).
  std::vector<int64_t> change(static_cast<size_t>(n) + 1, 0);
  for (auto [v, last] : lastReader) {
    auto made = producer.find(v);
    if (made == producer.end() || made->second >= last)
      continue; // the input (kept whatever the cut) or read where made
    change[size_t(made->second) + 1] += bytesOf(valueBytes, v);
    change[size_t(last) + 1] -= bytesOf(valueBytes, v);
  }
  std::vector<int64_t> crossing(static_cast<size_t>(n), 0);
  int64_t running = 0;
  for (int k = 0; k < n; ++k)
    crossing[size_t(k)] = running += change[size_t(k)];
  return crossing;
}

/// Segment starts cutting the nodes' result bytes into `segments` shares,
/// each cut moved, within half a share of where the shares meet, to where
/// the fewest bytes cross it: between residual blocks rather than inside
/// one, where both the block's input and its branch would be kept.
std::vector<int> cut(const Program &program, const plan::Stage &stage,
                     int segments, const std::vector<int64_t> &valueBytes,
                     const std::vector<bool> &tiedMax) {
  const int n = int(stage.tileNodes.size());
  std::vector<int64_t> before(static_cast<size_t>(n) + 1, 0);
  for (int k = 0; k < n; ++k)
    before[size_t(k) + 1] =
        before[size_t(k)] +
        bytesOf(valueBytes, program.nodes[stage.tileNodes[k]].results[0]);
  const int64_t total = before[size_t(n)];
  if (total == 0) { // nothing weighs the cut: nodes evenly
    std::vector<int> even;
    for (int j = 0; j < segments; ++j)
      even.push_back(int(int64_t(j) * n / segments));
    even.erase(std::unique(even.begin(), even.end()), even.end());
    return even;
  }
  std::vector<int64_t> crossing =
      crossingBytes(program, stage, valueBytes, tiedMax);
  std::vector<int> starts{0};
  for (int j = 1; j < segments; ++j) {
    // Scaled by `segments`: the shares meet at total * j, half a share is
    // total / 2.
    auto offset = [&](int k) {
      int64_t d = before[size_t(k)] * segments - total * j;
      return d < 0 ? -d : d;
    };
    int best = -1;
    for (int k = starts.back() + 1; k < n; ++k) {
      if (2 * offset(k) > total && before[size_t(k)] * segments > total * j)
        break;
      if (2 * offset(k) > total)
        continue;
      if (best < 0 || crossing[size_t(k)] < crossing[size_t(best)] ||
          (crossing[size_t(k)] == crossing[size_t(best)] &&
           offset(k) < offset(best)))
        best = k;
    }
    if (best < 0) { // one node outweighs half a share: the next after it
      for (int k = starts.back() + 1; k < n && best < 0; ++k)
        if (before[size_t(k)] * segments >= total * j)
          best = k;
    }
    if (best < 0)
      break;
    starts.push_back(best);
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
  const int n = int(stage.tileNodes.size());
  return backwardSchedule(program, stage,
                          cut(program, stage,
                              std::max(1, std::min(segments, n)), valueBytes,
                              tiedMaxOperands(program)));
}

BackwardSchedule backwardSchedule(const Program &program,
                                  const plan::Stage &stage,
                                  const std::vector<int> &segmentStarts) {
  BackwardSchedule schedule;
  const int n = int(stage.tileNodes.size());
  const std::vector<bool> tiedMax = tiedMaxOperands(program);
  schedule.segmentStarts = segmentStarts;
  std::vector<int> segmentOf(static_cast<size_t>(n));
  for (size_t j = 0; j < schedule.segmentStarts.size(); ++j)
    for (int k = schedule.segmentStarts[j]; k < n; ++k)
      segmentOf[size_t(k)] = int(j);
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

std::vector<int> tuneCuts(std::vector<int> starts, int nodes,
                          const CutCost &cost, int sweeps) {
  std::pair<int64_t, int> best = cost(starts);
  for (int round = 0; round < sweeps; ++round) {
    bool moved = false;
    for (size_t j = 1; j < starts.size(); ++j) {
      int lo = starts[j - 1] + 1;
      int hi = j + 1 < starts.size() ? starts[j + 1] - 1 : nodes - 1;
      int at = starts[j];
      for (int k = lo; k <= hi; ++k) {
        if (k == starts[j])
          continue;
        std::vector<int> trial = starts;
        trial[j] = k;
        std::pair<int64_t, int> c = cost(trial);
        if (c < best) {
          best = c;
          at = k;
        }
      }
      moved = moved || at != starts[j];
      starts[j] = at;
    }
    if (!moved)
      break;
  }
  return starts;
}

} // namespace sstep::train
