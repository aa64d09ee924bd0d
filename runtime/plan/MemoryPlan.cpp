//===- MemoryPlan.cpp - Predicted memory of a tiled run -------------------===//

#include "runtime/plan/MemoryPlan.h"
#include "runtime/core/RuntimeError.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>

namespace sstep::plan {

namespace {
/// Whether step `i` computes its result into the block of the value it
/// overwrites (CpuBackend::takeDying): the step is that value's last
/// reader, the tile below keeps none of it, and its block is exactly the
/// result's block as computed (the fresh rows when `joined`), in the same
/// layout.
bool overwrites(const StageSchedule &schedule, const BlockLayout &layout,
                const TileWindows &w, const StageSchedule::Step &step, size_t i,
                bool joined) {
  int s = step.overwrites, r = step.result;
  if (s < 0 || !schedule.held(s) || w.compute[s].empty())
    return false;
  auto last = schedule.lastUse.find(s);
  if (last == schedule.lastUse.end() || last->second != i)
    return false;
  if (!w.keep.empty() && !w.keep[s].empty())
    return false;
  bool blocked = size_t(s) < layout.blocked.size() && layout.blocked[s];
  bool blockedResult = size_t(r) < layout.blocked.size() && layout.blocked[r];
  const Region &computed = joined ? w.fresh[r] : w.compute[r];
  return blocked && blockedResult && w.compute[s] == computed;
}
} // namespace

int64_t tileWorkingSet(const Program &program, const StageSchedule &schedule,
                       const BlockLayout &layout, const TileWindows &w) {
  auto full = [&](int v) { return layout.bytes(program, v, w.compute[v]); };
  auto fresh = [&](int v) {
    return w.fresh.empty() ? full(v) : layout.bytes(program, v, w.fresh[v]);
  };
  // Rows kept by the tile above until the value is completed, and rows
  // kept for the tile below from the value's last reader on. Inner values
  // of a step are never held, so never kept.
  auto keptIn = [&](int v) {
    return schedule.held(v) ? full(v) - fresh(v) : 0;
  };
  auto keptOut = [&](int v) {
    return w.keep.empty() ? 0 : layout.bytes(program, v, w.keep[v]);
  };
  int64_t live = 0;
  for (size_t v = 0; v < w.compute.size(); ++v)
    live += keptIn(int(v));
  // Values from outside the stage are read in at the tile's start.
  for (int v : schedule.loaded)
    if (!w.compute[v].empty())
      live += fresh(v);
  int64_t peak = live;
  std::set<int> overwritten;
  auto release = [&](int v) {
    if (schedule.held(v) && !w.compute[v].empty() && !overwritten.count(v))
      live += keptOut(v) - full(v);
  };
  for (size_t i = 0; i < schedule.steps.size(); ++i) {
    const StageSchedule::Step &step = schedule.steps[i];
    int r = step.result;
    if (!w.compute[r].empty()) {
      bool joined = keptIn(r) > 0;
      if (overwrites(schedule, layout, w, step, i, joined)) {
        // The result takes the dying value's block: nothing new, but for
        // the join, which then frees the kept rows and that block.
        overwritten.insert(step.overwrites);
        live += joined ? full(r) : 0;
        peak = std::max(peak, live);
        if (joined)
          live -= keptIn(r) + full(step.overwrites);
      } else {
        // A completed block is joined from the kept rows and the fresh ones.
        live += fresh(r) + (joined ? full(r) : 0);
        peak = std::max(peak, live);
        if (joined)
          live -= fresh(r) + keptIn(r);
      }
    }
    for (int v : schedule.releasedAfter[i])
      release(v);
  }
  for (const auto &[v, step] : schedule.lastUse)
    if (step == schedule.steps.size())
      release(v);
  return peak;
}

namespace {
/// Chained tiles walked from each sampled start.
constexpr int64_t kWalk = 12;

std::vector<int64_t> sampled(int64_t count) {
  std::set<int64_t> picks{0, std::min<int64_t>(1, count - 1), count / 2,
                          count - 1};
  return {picks.begin(), picks.end()};
}
} // namespace

namespace {

/// Notes what tile `w` of `stage` reads of the input and hands the writer.
void noteStream(const Program &program, const Stage &stage,
                const TileWindows &w, MemoryPrediction &p) {
  int in = program.inputs.empty() ? -1 : program.inputs[0];
  if (in >= 0 && size_t(in) < w.compute.size() &&
      w.compute[in].pixels() > p.inputWindow.pixels())
    p.inputWindow = w.compute[in];
  int64_t sinks = 0;
  for (int v : stage.sinks)
    if (std::find(program.outputs.begin(), program.outputs.end(), v) !=
            program.outputs.end() &&
        size_t(v) < w.owned.size() && program.values[v].shape.size() == 4)
      sinks += w.owned[v].pixels() * program.values[v].shape[1] * 4;
  p.sinkBlockBytes = std::max(p.sinkBlockBytes, sinks);
}

} // namespace

MemoryPrediction predictMemory(const Program &program, const Stages &stages,
                               Size2 input, int64_t tileEdge,
                               const TileRows &rows, const TileModel &model,
                               const StreamModel *stream) {
  MemoryPrediction p;
  p.tileEdge = tileEdge;
  p.tileRows = rows.rows > 0 ? rows.rows : tileEdge;
  Sizes sizes = predictSizes(program, stages, input);
  p.weightBytes = program.constants.bytes();
  for (size_t v = 0; v < program.values.size(); ++v)
    if (stages.stored[v] && stages.producer[v] >= 0 && sizes[v][0] > 0)
      p.storedBytes += BlockLayout().bytes(program, static_cast<int>(v),
                                           Region::whole(sizes[v]));
  for (const Stage &stage : stages.stages) {
    StageTiling tiling(program, stage, sizes, Size2{p.tileRows, tileEdge});
    StageSchedule schedule = model.schedule(program, stage, stages, sizes);
    BlockLayout layout = model.layout(program, schedule);
    auto workingSet = [&](const TileWindows &w) {
      noteStream(program, stage, w, p);
      return tileWorkingSet(program, schedule, layout, w);
    };
    p.grids.push_back(tiling.grid());
    if (tiling.tiles() == 0)
      continue;
    for (int64_t c : sampled(tiling.grid()[1])) {
      if (!rows.chained) {
        for (int64_t r : sampled(tiling.grid()[0]))
          p.tileBytes = std::max(p.tileBytes, workingSet(tiling.windows(r, c)));
        continue;
      }
      // A chained tile's windows depend on the tiles above it. They settle
      // within a tile or two of a chain's start, so walking a few from the
      // top, the middle and the bottom meets every kind.
      int64_t rowsOf = tiling.grid()[0];
      for (int64_t start : {int64_t(0), rowsOf / 2, rowsOf - kWalk}) {
        start = std::max<int64_t>(start, 0);
        TileWindows w = tiling.windows(start, c);
        if (start == 0) {
          // A column's top runs after its priming tiles, as the executor
          // runs it.
          std::vector<TileWindows> primes =
              tiling.primingWindows(0, c, p.tileRows);
          for (size_t k = 0; k < primes.size(); ++k) {
            TileWindows next = k + 1 < primes.size()
                                   ? primes[k + 1]
                                   : tiling.windowsBelow(primes[k], 0, c);
            keepFor(primes[k], next);
            p.tileBytes = std::max(p.tileBytes, workingSet(primes[k]));
            if (k + 1 == primes.size())
              w = std::move(next);
          }
        }
        for (int64_t r = start; r < std::min(rowsOf, start + kWalk); ++r) {
          TileWindows below;
          if (r + 1 < rowsOf) {
            below = tiling.windowsBelow(w, r + 1, c);
            keepFor(w, below);
          }
          // A walk's first tile computes its whole halo, as no tile below
          // a column's top does (the top itself is primed, above).
          if (r == 0 || r > start)
            p.tileBytes = std::max(p.tileBytes, workingSet(w));
          w = std::move(below);
        }
      }
    }
  }
  if (stream) {
    p.streamBytes = stream->bytes(p.inputWindow, p.sinkBlockBytes);
    p.finishBytes = stream->finishBytes;
  }
  return p;
}

int64_t chooseTileEdge(const Program &program, const Stages &stages,
                       Size2 input, int64_t budgetBytes, const TileModel &model,
                       const StreamModel *stream) {
  auto fits = [&](int64_t edge) {
    return predictMemory(program, stages, input, edge, {}, model, stream)
               .workingSet() <= budgetBytes;
  };
  int64_t whole = std::max(input[0], input[1]);
  if (fits(whole))
    return whole;
  // The smallest legal tile: one pixel of every stage's anchor.
  int64_t smallest = 1;
  MemoryPrediction least =
      predictMemory(program, stages, input, smallest, {}, model, stream);
  if (least.workingSet() > budgetBytes)
    throw BudgetError(
        "a memory budget of " + formatBytes(budgetBytes) + " cannot be met: " +
        (least.finishBytes > least.tileBytes + least.streamBytes
             ? "writing the outputs (their encoders and pyramids) needs "
             : "the smallest tile needs ") +
        formatBytes(least.workingSet()) + " (" +
        formatBytes(least.weightBytes) + " of weights)");
  int64_t lo = smallest, hi = whole; // fits(lo), !fits(hi)
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return lo;
}

TileShape chooseStrips(const Program &program, const Stages &stages,
                       Size2 input, int64_t budgetBytes, const TileModel &model,
                       const StreamModel *stream) {
  int64_t whole = std::max(input[0], input[1]);
  auto predict = [&](int64_t edge) {
    TileRows rows{std::min(edge, kChainedTileRows), true};
    return predictMemory(program, stages, input, edge, rows, model, stream);
  };
  if (predict(1).workingSet() > budgetBytes)
    return {chooseTileEdge(program, stages, input, budgetBytes, model, stream),
            0};
  int64_t lo = 1, hi = whole + 1; // fits(lo), !fits(hi)
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    (predict(mid).workingSet() <= budgetBytes ? lo : hi) = mid;
  }
  return {lo, std::min(lo, kChainedTileRows)};
}

TileShape chooseTiles(const Program &program, const Stages &stages, Size2 input,
                      int64_t budgetBytes, bool chained, const TileModel &model,
                      const StreamModel *stream) {
  int64_t whole = std::max(input[0], input[1]);
  if (!chained ||
      predictMemory(program, stages, input, whole, {}, model, stream)
              .workingSet() <= budgetBytes)
    return {chooseTileEdge(program, stages, input, budgetBytes, model, stream),
            0};
  return chooseStrips(program, stages, input, budgetBytes, model, stream);
}

std::string formatBytes(int64_t bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = double(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit ? "%.1f %s" : "%.0f %s", value,
                units[unit]);
  return text;
}

int64_t parseBytes(const std::string &text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception &) {
    used = 0;
  }
  std::string unit = text.substr(used);
  static const std::map<std::string, double> units = {{"", 1},
                                                      {"B", 1},
                                                      {"K", 1024.0},
                                                      {"KiB", 1024.0},
                                                      {"M", 1048576.0},
                                                      {"MiB", 1048576.0},
                                                      {"G", 1073741824.0},
                                                      {"GiB", 1073741824.0},
                                                      {"T", 1099511627776.0},
                                                      {"TiB", 1099511627776.0}};
  auto it = units.find(unit);
  if (used == 0 || it == units.end() || !(value > 0))
    throw std::invalid_argument("'" + text +
                                "' is not a size such as 4GiB or 512MiB");
  return static_cast<int64_t>(std::llround(value * it->second));
}

} // namespace sstep::plan
