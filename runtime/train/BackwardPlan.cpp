//===- BackwardPlan.cpp - What one backward tile holds --------------------===//

#include "runtime/train/BackwardPlan.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/plan/MemoryPlan.h"
#include "runtime/plan/Stages.h"
#include "runtime/reference/Vjp.h"
#include "runtime/train/Backward.h"

#include <algorithm>
#include <map>

namespace sstep::train {
namespace {

/// Replays one tile of Backward.cpp's Run: its blocks and gradients.
int64_t tileBytes(const Program &program, const plan::Stage &stage,
                  const KeptValues &kept, const plan::TileWindows &w,
                  const Shape &inputShape, bool inputGradient) {
  const int in = program.inputs[0], out = program.outputs[0];
  auto bytes = [&](int v) {
    const Region &r = w.compute[v];
    if (r.empty())
      return int64_t(0);
    int64_t channels = v == in ? inputShape[1] : program.values[v].shape[1];
    return inputShape[0] * channels * r.pixels() * int64_t(sizeof(float));
  };
  std::map<int, int64_t> blocks, grads;
  auto held = [&] {
    int64_t sum = 0;
    for (const auto &[v, b] : blocks)
      sum += b;
    for (const auto &[v, b] : grads)
      sum += b;
    return sum;
  };
  int64_t peak = 0;
  const std::vector<int> &nodes = stage.tileNodes;
  for (size_t k = 0; k < nodes.size(); ++k) {
    const Node &node = program.nodes[nodes[k]];
    if (w.compute[node.results[0]].empty())
      continue;
    for (size_t i = 0; i < node.operands.size(); ++i)
      if (node.window->spatial[i] && node.operands[i] == in)
        blocks.emplace(in, bytes(in)); // read on first use
    blocks[node.results[0]] = bytes(node.results[0]);
    peak = std::max(peak, held());
    for (int v : releasedAfter(kept, node, int(k)))
      if (blocks.count(v))
        blocks[v] = 0;
  }
  grads[out] = bytes(out);
  for (auto id = nodes.rbegin(); id != nodes.rend(); ++id) {
    const Node &node = program.nodes[*id];
    int r = node.results[0];
    if (!grads.count(r) || w.compute[r].empty())
      continue;
    grads.erase(r);
    blocks.erase(r);
    for (size_t i = 0; i < node.operands.size(); ++i) {
      int v = node.operands[i];
      // A resize's size source carries no gradient.
      bool carries = !(node.op == "resize2d" && i > 0);
      if (node.window->spatial[i] && carries && !w.compute[v].empty() &&
          (v != in || inputGradient))
        grads.emplace(v, bytes(v));
    }
    peak = std::max(peak, held());
  }
  return peak;
}

} // namespace

KeptValues keptValues(const Program &program, const plan::Stage &stage) {
  KeptValues kept{std::vector<bool>(program.values.size(), false),
                  std::vector<int>(program.values.size(), -1)};
  for (size_t k = 0; k < stage.tileNodes.size(); ++k) {
    const Node &node = program.nodes[stage.tileNodes[k]];
    reference::VjpReads reads = reference::vjpReads(node);
    kept.read[node.results[0]] = kept.read[node.results[0]] || reads.result;
    for (size_t i = 0; i < node.operands.size(); ++i) {
      if (!node.window->spatial[i])
        continue;
      int v = node.operands[i];
      kept.lastReader[v] = int(k);
      kept.read[v] = kept.read[v] || reads.operands[i];
    }
  }
  return kept;
}

std::vector<int> releasedAfter(const KeptValues &kept, const Node &node,
                               int index) {
  std::vector<int> released;
  auto release = [&](int v) {
    if (!kept.read[v] &&
        std::find(released.begin(), released.end(), v) == released.end())
      released.push_back(v);
  };
  for (size_t i = 0; i < node.operands.size(); ++i)
    if (node.window->spatial[i] && kept.lastReader[node.operands[i]] == index)
      release(node.operands[i]);
  if (kept.lastReader[node.results[0]] < 0)
    release(node.results[0]);
  return released;
}

int64_t predictBackwardBytes(const Program &program, const Shape &inputShape,
                             plan::TileShape tiles, bool inputGradient) {
  checkDifferentiable(program);
  plan::Stages stages = plan::planStages(program);
  const plan::Stage &stage = stages.stages.at(0);
  plan::Sizes sizes =
      plan::predictSizes(program, stages, {inputShape[2], inputShape[3]});
  plan::StageTiling tiling(program, stage, sizes, tiles);
  KeptValues kept = keptValues(program, stage);
  int64_t peak = 0;
  for (int64_t r = 0; r < tiling.grid()[0]; ++r)
    for (int64_t c = 0; c < tiling.grid()[1]; ++c)
      peak =
          std::max(peak, tileBytes(program, stage, kept, tiling.windows(r, c),
                                   inputShape, inputGradient));
  return peak;
}

plan::TileShape chooseBackwardTiles(const Program &program,
                                    const Shape &inputShape, int64_t budget,
                                    bool inputGradient) {
  auto fits = [&](int64_t edge) {
    return predictBackwardBytes(program, inputShape, plan::TileShape{edge, 0},
                                inputGradient) <= budget;
  };
  if (fits(0))
    return {};
  // The prediction grows with the edge: bisect for the largest that fits.
  int64_t lo = 1, hi = std::max(inputShape[2], inputShape[3]);
  if (!fits(lo))
    throw BudgetError(
        "no tile fits a backward pass in " + plan::formatBytes(budget) +
        ": one-pixel tiles need " +
        plan::formatBytes(predictBackwardBytes(
            program, inputShape, plan::TileShape{1, 0}, inputGradient)));
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  return {lo, 0};
}

} // namespace sstep::train
