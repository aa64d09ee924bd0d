//===- BackwardPlan.cpp - What one backward tile holds --------------------===//

#include "runtime/train/BackwardPlan.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/plan/MemoryPlan.h"
#include "runtime/plan/Stages.h"
#include "runtime/reference/Vjp.h"
#include "runtime/train/Backward.h"
#include "runtime/train/BackwardSchedule.h"

#include <algorithm>
#include <map>
#include <optional>

namespace sstep::train {
namespace {

/// Replays one tile of Backward.cpp's Run: its blocks and gradients.
int64_t tileBytes(const Program &program, const plan::Stage &stage,
                  const BackwardSchedule &schedule, const plan::TileWindows &w,
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
  // The input's block is read when a step first asks for it.
  auto use = [&](const Node &node) {
    for (size_t i = 0; i < node.operands.size(); ++i)
      if (node.window->spatial[i] && node.operands[i] == in)
        blocks.emplace(in, bytes(in));
  };
  int64_t peak = 0;
  bool seeded = false;
  for (const BackwardStep &step : schedule.steps) {
    const Node &node = program.nodes[stage.tileNodes[step.index]];
    const int r = node.results[0];
    if (step.kind == BackwardStep::Forward && !w.compute[r].empty()) {
      use(node);
      blocks[r] = bytes(r);
      peak = std::max(peak, held());
    } else if (step.kind == BackwardStep::Vjp) {
      if (!seeded)
        grads[out] = bytes(out);
      seeded = true;
      if (grads.count(r) && !w.compute[r].empty()) {
        use(node);
        grads.erase(r);
        blocks.erase(r);
        for (size_t i = 0; i < node.operands.size(); ++i) {
          int v = node.operands[i];
          if (node.vjp->grads[i] && node.window->spatial[i] &&
              !w.compute[v].empty() && (v != in || inputGradient))
            grads.emplace(v, bytes(v));
        }
        peak = std::max(peak, held());
      }
    }
    for (int v : step.released)
      if (blocks.count(v))
        blocks[v] = 0;
  }
  return peak;
}

/// The work of a backward pass in units of one forward pass over the
/// image: every tile's input window over the image (the halo's repeats),
/// times one forward pass, the recomputed share of another, and the VJPs
/// at about twice a forward pass.
double relativeWork(const Program &program, const plan::Stage &stage,
                    const plan::Sizes &sizes, plan::TileShape tiles,
                    const BackwardSchedule &schedule) {
  plan::StageTiling tiling(program, stage, sizes, tiles);
  const int in = program.inputs[0];
  double windows = 0;
  for (int64_t r = 0; r < tiling.grid()[0]; ++r)
    for (int64_t c = 0; c < tiling.grid()[1]; ++c)
      windows += double(tiling.windows(r, c).compute[in].pixels());
  double image = double(sizes[in][0]) * double(sizes[in][1]);
  double recomputed = double(schedule.recomputed) /
                      double(std::max<size_t>(1, stage.tileNodes.size()));
  return windows / image * (3.0 + recomputed);
}

const Program &checked(const Program &program) {
  checkDifferentiable(program);
  return program;
}

/// What every prediction for one program and input shape shares, made
/// once: the stage, the sizes and a schedule per segment count.
class Predictor {
public:
  Predictor(const Program &program, const Shape &inputShape, bool inputGradient)
      : program(checked(program)), inputShape(inputShape),
        inputGradient(inputGradient), stages(plan::planStages(program)),
        sizes(plan::predictSizes(program, stages,
                                 {inputShape[2], inputShape[3]})),
        weights(valueBytes(program, sizes, inputShape)) {}

  const plan::Stage &stage() const { return stages.stages.at(0); }

  const BackwardSchedule &schedule(int segments) {
    auto it = schedules.find(segments);
    if (it == schedules.end())
      it = schedules
               .emplace(segments,
                        backwardSchedule(program, stage(), segments, weights))
               .first;
    return it->second;
  }

  int64_t bytes(plan::TileShape tiles, int segments) {
    const BackwardSchedule &s = schedule(std::max(1, segments));
    plan::StageTiling tiling(program, stage(), sizes, tiles);
    int64_t peak = 0;
    for (int64_t r = 0; r < tiling.grid()[0]; ++r)
      for (int64_t c = 0; c < tiling.grid()[1]; ++c)
        peak =
            std::max(peak, tileBytes(program, stage(), s, tiling.windows(r, c),
                                     inputShape, inputGradient));
    return peak;
  }

  double work(plan::TileShape tiles, int segments) {
    return relativeWork(program, stage(), sizes, tiles, schedule(segments));
  }

private:
  const Program &program;
  Shape inputShape;
  bool inputGradient;
  plan::Stages stages;
  plan::Sizes sizes;
  std::vector<int64_t> weights;
  std::map<int, BackwardSchedule> schedules;
};

} // namespace

std::vector<int64_t> valueBytes(const Program &program,
                                const plan::Sizes &sizes,
                                const Shape &inputShape) {
  std::vector<int64_t> bytes(program.values.size(), 0);
  for (size_t v = 0; v < program.values.size(); ++v) {
    const Shape &shape = program.values[v].shape;
    if (shape.size() == 4 && !program.constants.contains(int(v)))
      bytes[v] = inputShape[0] * std::max<int64_t>(shape[1], 1) * sizes[v][0] *
                 sizes[v][1] * int64_t(sizeof(float));
  }
  return bytes;
}

int64_t predictBackwardBytes(const Program &program, const Shape &inputShape,
                             plan::TileShape tiles, bool inputGradient,
                             int segments) {
  return Predictor(program, inputShape, inputGradient).bytes(tiles, segments);
}

BackwardTiling chooseBackwardTiles(const Program &program,
                                   const Shape &inputShape, int64_t budget,
                                   bool inputGradient, int segments) {
  Predictor predictor(program, inputShape, inputGradient);
  const int64_t longest = std::max(inputShape[2], inputShape[3]);
  const int nodes = int(predictor.stage().tileNodes.size());
  std::vector<int> counts = {1, 2, 3, 4, 6, 8};
  if (segments > 0)
    counts = {segments};
  std::optional<BackwardTiling> best;
  double bestWork = 0;
  for (int k : counts) {
    if (segments == 0 && k > 1 && k > nodes)
      break;
    auto fits = [&](int64_t edge) {
      return predictor.bytes({edge, 0}, k) <= budget;
    };
    plan::TileShape tiles;
    if (!fits(0)) {
      // The prediction grows with the edge: bisect for the largest fit,
      // from the large edges down (a small edge is many tiles to replay),
      // then check that one pixel fits at all only if nothing larger did.
      int64_t lo = 1, hi = longest;
      while (lo < hi) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        if (fits(mid))
          lo = mid;
        else
          hi = mid - 1;
      }
      if (lo == 1 && !fits(1))
        continue;
      tiles = {lo, 0};
    }
    double work = predictor.work(tiles, k);
    if (!best || work < bestWork) {
      best = BackwardTiling{tiles, k};
      bestWork = work;
    }
  }
  if (!best) {
    int64_t smallest = -1;
    for (int k : counts)
      if (segments > 0 || k == 1 || k <= nodes) {
        int64_t need = predictor.bytes({1, 0}, k);
        smallest = smallest < 0 ? need : std::min(smallest, need);
      }
    throw BudgetError("no tile fits a backward pass in " +
                      plan::formatBytes(budget) + ": one-pixel tiles need " +
                      plan::formatBytes(smallest));
  }
  return *best;
}

} // namespace sstep::train
