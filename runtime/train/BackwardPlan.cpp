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
#include <set>
#include <tuple>

namespace sstep::train {
namespace {

/// What the replay needs of one tile's windows: per value, its block's
/// bytes (0 where the tile computes none), whether it computes one, and
/// whether the tile seeds its gradient over an owned block. Tiles alike in
/// these hold alike: interior tiles are one class.
struct TileClass {
  std::vector<int64_t> bytes;
  std::vector<char> computed, seeds;
  bool anySeed = false;

  TileClass(const Program &program, const plan::Stage &stage,
            const plan::TileWindows &w, const Shape &inputShape,
            const std::vector<bool> &seeded, const std::vector<bool> &ofStage)
      : bytes(program.values.size(), 0), computed(program.values.size(), 0),
        seeds(program.values.size(), 0) {
    const int in = program.inputs[0];
    for (size_t v = 0; v < bytes.size(); ++v) {
      const Region &r = w.compute[v];
      if (r.empty())
        continue;
      computed[v] = 1;
      int64_t channels =
          int(v) == in ? inputShape[1] : program.values[v].shape[1];
      bytes[v] = inputShape[0] * channels * r.pixels() * int64_t(sizeof(float));
      seeds[v] = seeded[v] && !w.owned[v].empty();
    }
    // A tile owning no block of a value the loss reaches is skipped.
    for (int v : stage.sinks)
      anySeed = anySeed || (seeds[size_t(v)] && ofStage[size_t(v)]);
  }

  std::vector<int64_t> key() const {
    std::vector<int64_t> k = bytes;
    for (size_t v = 0; v < seeds.size(); ++v)
      k.push_back(seeds[v] * 2 + computed[v]);
    return k;
  }
};

/// Replays one tile of stage `s` of BackwardTile.cpp's Run: its blocks and
/// gradients (-1: none; a released block holds 0 bytes).
int64_t tileBytes(const Program &program, const plan::Stage &stage,
                  const BackwardSchedule &schedule, const TileClass &t,
                  bool inputGradient, const std::vector<bool> &ofStage) {
  if (!t.anySeed)
    return 0;
  const int in = program.inputs[0];
  std::vector<int64_t> block(t.bytes.size(), -1), grad(t.bytes.size(), -1);
  int64_t held = 0, peak = 0;
  auto setBlock = [&](int v, int64_t b) {
    held += b - std::max<int64_t>(block[size_t(v)], 0);
    block[size_t(v)] = b;
  };
  auto addGrad = [&](int v) {
    if (grad[size_t(v)] < 0)
      held += grad[size_t(v)] = t.bytes[size_t(v)];
  };
  // The blocks of the input and of earlier stages' images are read when a
  // step first asks for them.
  auto use = [&](const Node &node) {
    for (size_t i = 0; i < node.operands.size(); ++i) {
      int v = node.operands[i];
      if (node.window->spatial[i] && !ofStage[size_t(v)] &&
          block[size_t(v)] < 0)
        setBlock(v, t.bytes[size_t(v)]);
    }
  };
  for (const BackwardStep &step : schedule.steps) {
    const Node &node = program.nodes[stage.tileNodes[step.index]];
    const int r = node.results[0];
    if (step.kind == BackwardStep::Forward && t.computed[size_t(r)]) {
      use(node);
      setBlock(r, t.bytes[size_t(r)]);
      peak = std::max(peak, held);
    } else if (step.kind == BackwardStep::Vjp && t.computed[size_t(r)]) {
      if (t.seeds[size_t(r)])
        addGrad(r);
      if (grad[size_t(r)] >= 0) {
        use(node);
        held -= grad[size_t(r)] + std::max<int64_t>(block[size_t(r)], 0);
        grad[size_t(r)] = block[size_t(r)] = -1;
        for (size_t i = 0; i < node.operands.size(); ++i) {
          int v = node.operands[i];
          if (node.vjp->grads[i] && node.window->spatial[i] &&
              t.computed[size_t(v)] && (v != in || inputGradient))
            addGrad(v);
        }
        peak = std::max(peak, held);
      }
    }
    for (int v : step.released)
      if (block[size_t(v)] >= 0)
        setBlock(v, 0);
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

  /// Stage s's schedule for tiles of `tiles` in `segments` segments: the
  /// equal-bytes cuts (BackwardSchedule.h), tuned to the least peak of its
  /// tiles' replays.
  const BackwardSchedule &schedule(size_t s, int segments,
                                   plan::TileShape tiles) {
    auto key = std::tuple{s, segments, tiles.edge, tiles.extent()[0]};
    auto it = tuned.find(key);
    if (it != tuned.end())
      return it->second;
    const plan::Stage &stage = stages.stages[s];
    BackwardSchedule first =
        backwardSchedule(program, stage, std::max(1, segments), weights);
    if (first.segmentStarts.size() > 1) {
      const std::vector<TileClass> &alike = classes(s, tiles);
      std::vector<bool> mine = ofStage(s);
      auto cost = [&](const std::vector<int> &starts) {
        BackwardSchedule trial = backwardSchedule(program, stage, starts);
        int64_t peak = 0;
        for (const TileClass &t : alike)
          peak = std::max(
              peak, tileBytes(program, stage, trial, t, inputGradient, mine));
        return std::pair{peak, trial.recomputed};
      };
      first = backwardSchedule(
          program, stage,
          tuneCuts(first.segmentStarts, int(stage.tileNodes.size()), cost));
    }
    return tuned.emplace(key, std::move(first)).first->second;
  }

  /// Every stage's schedule, as backwardSchedules gives them.
  std::vector<BackwardSchedule> schedules(plan::TileShape tiles, int segments) {
    std::vector<BackwardSchedule> chosen;
    for (size_t s = 0; s < stages.stages.size(); ++s)
      chosen.push_back(schedule(s, segments, tiles));
    return chosen;
  }

  int64_t bytes(plan::TileShape tiles, int segments) {
    return bytes(tiles, schedules(tiles, segments));
  }

  int64_t bytes(plan::TileShape tiles,
                const std::vector<BackwardSchedule> &chosen) {
    if (chosen.size() != stages.stages.size())
      throw RuntimeError("internal error: " + std::to_string(chosen.size()) +
                         " schedules for " +
                         std::to_string(stages.stages.size()) + " stages");
    int64_t peak = 0;
    for (size_t s = 0; s < stages.stages.size(); ++s) {
      const plan::Stage &stage = stages.stages[s];
      if (stage.tileNodes.empty())
        continue;
      const BackwardSchedule &steps = chosen[s];
      std::vector<bool> mine = ofStage(s);
      for (const TileClass &t : classes(s, tiles))
        peak = std::max(
            peak, tileBytes(program, stage, steps, t, inputGradient, mine));
    }
    return peak;
  }

  double work(plan::TileShape tiles, int segments) {
    if (stages.stages.size() == 1)
      return relativeWork(program, stages.stages[0], sizes, tiles,
                          schedule(0, segments, tiles), weights);
    double total = 0, weight = 0;
    for (size_t s = 0; s < stages.stages.size(); ++s) {
      const plan::Stage &stage = stages.stages[s];
      double w = 0;
      for (int id : stage.tileNodes)
        w += double(weights[size_t(program.nodes[size_t(id)].results[0])]);
      if (w == 0)
        continue;
      total += w * relativeWork(program, stage, sizes, tiles,
                                schedule(s, segments, tiles), weights);
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
  std::vector<bool> ofStage(size_t s) const {
    std::vector<bool> mine(program.values.size(), false);
    for (size_t v = 0; v < mine.size(); ++v)
      mine[v] = stageOf[v] == int(s);
    return mine;
  }

  /// The distinct tiles of stage s in tiles of `tiles`.
  const std::vector<TileClass> &classes(size_t s, plan::TileShape tiles) {
    auto key = std::tuple{s, tiles.edge, tiles.extent()[0]};
    auto it = tileClasses.find(key);
    if (it != tileClasses.end())
      return it->second;
    const plan::Stage &stage = stages.stages[s];
    std::vector<bool> mine = ofStage(s);
    plan::StageTiling tiling(program, stage, sizes, tiles);
    std::set<std::vector<int64_t>> seen;
    std::vector<TileClass> alike;
    for (int64_t r = 0; r < tiling.grid()[0]; ++r)
      for (int64_t c = 0; c < tiling.grid()[1]; ++c) {
        TileClass t(program, stage, tiling.windows(r, c), inputShape, seeded,
                    mine);
        if (seen.insert(t.key()).second)
          alike.push_back(std::move(t));
      }
    return tileClasses.emplace(key, std::move(alike)).first->second;
  }

  const Program &program;
  Shape inputShape;
  bool inputGradient;
  plan::Stages stages;
  plan::Sizes sizes;
  std::vector<int64_t> weights;
  std::vector<bool> seeded, reached;
  std::vector<int> stageOf;
  /// By stage, segments and tile shape.
  std::map<std::tuple<size_t, int, int64_t, int64_t>, BackwardSchedule> tuned;
  std::map<std::tuple<size_t, int64_t, int64_t>, std::vector<TileClass>>
      tileClasses;
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

int64_t predictBackwardBytes(const Program &program, const Shape &inputShape,
                             plan::TileShape tiles, bool inputGradient,
                             const std::vector<BackwardSchedule> &schedules) {
  return Predictor(program, inputShape, inputGradient).bytes(tiles, schedules);
}

std::vector<BackwardSchedule>
backwardSchedules(const Program &program, const Shape &inputShape,
                  plan::TileShape tiles, bool inputGradient, int segments) {
  return Predictor(program, inputShape, inputGradient)
      .schedules(tiles, segments);
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
      // The prediction grows with the edge (roughly, with cuts tuned to
      // each edge): bisect for the largest fit, from the large edges down
      // (a small edge is many tiles to replay), then check that one pixel
      // fits at all only if nothing larger did. Either way the edge after
      // the one found was tried and did not fit.
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
