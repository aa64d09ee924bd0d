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

/// Replays one tile of stage `s` of BackwardTile.cpp's Run: its blocks and
/// gradients. `seeded`: per value, whether the stage's tiles seed its
/// gradient over their owned blocks (the output, images later stages read,
/// what the stage's reductions read).
int64_t tileBytes(const Program &program, const plan::Stage &stage,
                  const BackwardSchedule &schedule, const plan::TileWindows &w,
                  const Shape &inputShape, bool inputGradient,
                  const std::vector<bool> &seeded,
                  const std::vector<bool> &ofStage) {
  const int in = program.inputs[0];
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
  // The blocks of the input and of earlier stages' images are read when a
  // step first asks for them.
  auto use = [&](const Node &node) {
    for (size_t i = 0; i < node.operands.size(); ++i)
      if (node.window->spatial[i] && !ofStage[size_t(node.operands[i])])
        blocks.emplace(node.operands[i], bytes(node.operands[i]));
  };
  // A tile owning no block of a value the loss reaches is skipped.
  if (std::none_of(stage.sinks.begin(), stage.sinks.end(), [&](int v) {
        return seeded[size_t(v)] && ofStage[size_t(v)] &&
               !w.owned[size_t(v)].empty();
      }))
    return 0;
  int64_t peak = 0;
  for (const BackwardStep &step : schedule.steps) {
    const Node &node = program.nodes[stage.tileNodes[step.index]];
    const int r = node.results[0];
    if (step.kind == BackwardStep::Forward && !w.compute[r].empty()) {
      use(node);
      blocks[r] = bytes(r);
      peak = std::max(peak, held());
    } else if (step.kind == BackwardStep::Vjp && !w.compute[r].empty()) {
      if (seeded[size_t(r)] && !w.owned[size_t(r)].empty())
        grads.emplace(r, bytes(r));
      if (grads.count(r)) {
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
/// at about twice a forward pass. A stage that does not read the input
/// counts its own values' windows over their images instead, and stages
/// weigh by their values' bytes.
double relativeWork(const Program &program, const plan::Stage &stage,
                    const plan::Sizes &sizes, plan::TileShape tiles,
                    const BackwardSchedule &schedule,
                    const std::vector<int64_t> &weights) {
  plan::StageTiling tiling(program, stage, sizes, tiles);
  const int in = program.inputs[0];
  std::vector<int> values;
  for (int id : stage.tileNodes)
    for (size_t i = 0; i < program.nodes[size_t(id)].operands.size(); ++i)
      if (program.nodes[size_t(id)].operands[i] == in &&
          program.nodes[size_t(id)].window->spatial[i])
        values = {in};
  if (values.empty())
    for (int id : stage.tileNodes)
      values.push_back(program.nodes[size_t(id)].results[0]);
  double windows = 0, image = 0;
  for (int v : values) {
    double perPixel = v == in
                          ? 1.0
                          : double(weights[size_t(v)]) /
                                std::max<double>(1, double(sizes[v][0]) *
                                                        double(sizes[v][1]));
    image += perPixel * double(sizes[v][0]) * double(sizes[v][1]);
    for (int64_t r = 0; r < tiling.grid()[0]; ++r)
      for (int64_t c = 0; c < tiling.grid()[1]; ++c)
        windows += perPixel * double(tiling.windows(r, c).compute[v].pixels());
  }
  double recomputed = double(schedule.recomputed) /
                      double(std::max<size_t>(1, stage.tileNodes.size()));
  return windows / std::max(1.0, image) * (3.0 + recomputed);
}

/// Per value, whether the output depends on it through operands with a
/// gradient: the values the backward pass gives one.
std::vector<bool> reachedByLoss(const Program &program) {
  std::vector<bool> reached(program.values.size(), false);
  reached[size_t(program.outputs[0])] = true;
  for (auto node = program.nodes.rbegin(); node != program.nodes.rend(); ++node)
    if (reached[size_t(node->results[0])])
      for (size_t i = 0; i < node->operands.size(); ++i)
        if (node->vjp && node->vjp->grads[i])
          reached[size_t(node->operands[i])] = true;
  return reached;
}

const Program &checked(const Program &program) {
  checkDifferentiable(program);
  return program;
}

/// What every prediction for one program and input shape shares, made
/// once: the stages, the sizes and a schedule per stage and segment count.
class Predictor {
public:
  Predictor(const Program &program, const Shape &inputShape, bool inputGradient)
      : program(checked(program)), inputShape(inputShape),
        inputGradient(inputGradient), stages(plan::planStages(program)),
        sizes(plan::predictSizes(program, stages,
                                 {inputShape[2], inputShape[3]})),
        weights(valueBytes(program, sizes, inputShape)),
        seeded(program.values.size(), false),
        stageOf(program.values.size(), -1) {
    for (const Node &node : program.nodes)
      if (node.role == Role::Tile)
        stageOf[size_t(node.results[0])] = node.stage;
    // The output, images a later stage reads, and the reductions' operands
    // (stage.sinks) get a gradient over each tile's owned block, if the
    // loss reaches them.
    reached = reachedByLoss(program);
    for (const plan::Stage &stage : stages.stages)
      for (int v : stage.sinks)
        seeded[size_t(v)] = stageOf[size_t(v)] >= 0 && reached[size_t(v)];
  }

  /// The most tile nodes of one stage.
  int nodes() const {
    size_t most = 0;
    for (const plan::Stage &stage : stages.stages)
      most = std::max(most, stage.tileNodes.size());
    return int(most);
  }

  const BackwardSchedule &schedule(size_t s, int segments) {
    auto it = schedules.find({s, segments});
    if (it == schedules.end())
      it = schedules
               .emplace(std::pair{s, segments},
                        backwardSchedule(program, stages.stages[s], segments,
                                         weights))
               .first;
    return it->second;
  }

  int64_t bytes(plan::TileShape tiles, int segments) {
    int64_t peak = 0;
    for (size_t s = 0; s < stages.stages.size(); ++s) {
      const plan::Stage &stage = stages.stages[s];
      if (stage.tileNodes.empty())
        continue;
      const BackwardSchedule &steps = schedule(s, std::max(1, segments));
      std::vector<bool> ofStage(program.values.size(), false);
      for (size_t v = 0; v < ofStage.size(); ++v)
        ofStage[v] = stageOf[v] == int(s);
      plan::StageTiling tiling(program, stage, sizes, tiles);
      for (int64_t r = 0; r < tiling.grid()[0]; ++r)
        for (int64_t c = 0; c < tiling.grid()[1]; ++c)
          peak = std::max(peak, tileBytes(program, stage, steps,
                                          tiling.windows(r, c), inputShape,
                                          inputGradient, seeded, ofStage));
    }
    return peak;
  }

  double work(plan::TileShape tiles, int segments) {
    if (stages.stages.size() == 1)
      return relativeWork(program, stages.stages[0], sizes, tiles,
                          schedule(0, segments), weights);
    double total = 0, weight = 0;
    for (size_t s = 0; s < stages.stages.size(); ++s) {
      const plan::Stage &stage = stages.stages[s];
      double w = 0;
      for (int id : stage.tileNodes)
        w += double(weights[size_t(program.nodes[size_t(id)].results[0])]);
      if (w == 0)
        continue;
      total += w * relativeWork(program, stage, sizes, tiles,
                                schedule(s, segments), weights);
      weight += w;
    }
    return total / std::max(1.0, weight);
  }

  /// Replays BackwardRun's whole images: every forward value a later
  /// stage reads, then, stage by stage backward, the stage's own go and
  /// the gradients its tiles sum for earlier stages' come.
  int64_t storedBytes() const {
    const int in = program.inputs[0];
    std::map<int, int64_t> held;
    int64_t peak = 0;
    auto note = [&] {
      int64_t sum = 0;
      for (const auto &[v, b] : held)
        sum += b;
      peak = std::max(peak, sum);
    };
    std::vector<bool> kept = readByLaterStages(program);
    for (size_t v = 0; v < stageOf.size(); ++v)
      if (kept[v])
        held[int(v) + 1] = weights[v]; // forward values: v + 1 > 0
    note();
    for (size_t s = stages.stages.size(); s-- > 0;) {
      for (size_t v = 0; v < stageOf.size(); ++v)
        if (stageOf[v] == int(s))
          held.erase(int(v) + 1);
      for (int id : stages.stages[s].tileNodes) {
        const Node &node = program.nodes[size_t(id)];
        if (!reached[size_t(node.results[0])])
          continue;
        for (size_t i = 0; i < node.operands.size(); ++i) {
          int v = node.operands[i];
          if (v != in && node.window->spatial[i] && node.vjp->grads[i] &&
              stageOf[size_t(v)] != int(s))
            held[-v - 1] = weights[size_t(v)]; // gradients: -v - 1 < 0
        }
      }
      note();
      for (size_t v = 0; v < stageOf.size(); ++v)
        if (stageOf[v] == int(s))
          held.erase(-int(v) - 1);
    }
    return peak;
  }

private:
  const Program &program;
  Shape inputShape;
  bool inputGradient;
  plan::Stages stages;
  plan::Sizes sizes;
  std::vector<int64_t> weights;
  std::vector<bool> seeded, reached;
  std::vector<int> stageOf;
  std::map<std::pair<size_t, int>, BackwardSchedule> schedules;
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

std::vector<bool> readByLaterStages(const Program &program) {
  std::vector<int> stageOf(program.values.size(), -1);
  std::vector<bool> read(program.values.size(), false);
  for (const Node &node : program.nodes) {
    if (node.role != Role::Tile)
      continue;
    for (int v : node.operands)
      if (stageOf[size_t(v)] >= 0 && stageOf[size_t(v)] < node.stage)
        read[size_t(v)] = true;
    stageOf[size_t(node.results[0])] = node.stage;
  }
  return read;
}

int64_t predictStoredBytes(const Program &program, const Shape &inputShape) {
  return Predictor(program, inputShape, false).storedBytes();
}

BackwardTiling chooseBackwardTiles(const Program &program,
                                   const Shape &inputShape, int64_t budget,
                                   bool inputGradient, int segments) {
  Predictor predictor(program, inputShape, inputGradient);
  const int64_t longest = std::max(inputShape[2], inputShape[3]);
  const int nodes = predictor.nodes();
  std::vector<int> counts = {1, 2, 3, 4, 6, 8, 10, 12};
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
