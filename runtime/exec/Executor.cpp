//===- Executor.cpp - Runs a partitioned Program stage by stage -----------===//

#include "runtime/exec/Executor.h"
#include "runtime/core/BufferPool.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/exec/Run.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

namespace sstep::exec {
namespace {

void checkShape(const ValueInfo &info, const Shape &shape) {
  bool fits = info.shape.size() == shape.size();
  for (size_t i = 0; fits && i < info.shape.size(); ++i)
    fits = info.shape[i] < 0 || info.shape[i] == shape[i];
  if (!fits)
    throw RuntimeError("input '" + info.name + "' has shape " +
                       formatShape(shape) + ", the model expects " +
                       formatShape(info.shape));
}

} // namespace

namespace detail {

void Run::stream(size_t output, const Region &region, const Tensor &block) {
  OutputSink *out = options.sinks.at(output);
  auto start = Clock::now();
  // What a sink holds (bands, encoders) outlives the tile.
  BufferPool::LifetimeScope later(BufferPool::Lifetime::Lasting);
  if (!begun[output]) {
    out->begin({block.dim(0), block.dim(1), sizes[program.outputs[output]][0],
                sizes[program.outputs[output]][1]});
    begun[output] = true;
  }
  out->write(region, block);
  stats.writeSeconds += since(start);
}

void Run::sink(int v, Tensor) {
  throw RuntimeError("internal error: the block of '" + program.values[v].name +
                     "' was handed over outside its tile job");
}

void Run::route(const plan::Stage &stage, const plan::TileWindows &w, int v,
                const Tensor &block) {
  const Region &owned = w.owned[v];
  if (owned.empty())
    return;
  const Region &computed = w.compute[v];
  if (block.rank() != 4 || block.dim(2) != computed.axes[0].size() ||
      block.dim(3) != computed.axes[1].size())
    throw RuntimeError("internal error: the tile's block of '" +
                       program.values[v].name + "' is " +
                       formatShape(block.shape) + ", its window " +
                       formatRegion(computed));
  if (stages.stored[v] && (streamedAs[v].empty() || readWhole[v]))
    keep(v, block, computed, owned);
  bool reduced = false;
  for (int id : stage.reduceNodes)
    reduced |= program.nodes[id].operands[0] == v;
  if (!reduced && streamedAs[v].empty())
    return;
  // A tile computed no more than it owns (a whole image, a stage without
  // halos) hands its block on as it is.
  const bool whole = computed == owned;
  Tensor cropped;
  if (!whole)
    cropped = crop(block, computed, owned);
  const Tensor &part = whole ? block : cropped;
  for (int id : stage.reduceNodes)
    if (program.nodes[id].operands[0] == v)
      reducers[id].add(part);
  for (size_t output : streamedAs[v])
    stream(output, owned, part);
}

void Run::runOnce(int id) {
  const Node &node = program.nodes[id];
  std::vector<const Tensor *> operands;
  for (int v : node.operands)
    operands.push_back(&whole(v));
  auto start = Clock::now();
  std::vector<Tensor> results = backend.runOnce(node, operands);
  stats.onceSeconds += since(start);
  if (results.size() != node.results.size())
    throw RuntimeError(node.describe() + ": the kernel returned " +
                       std::to_string(results.size()) + " results");
  for (size_t r = 0; r < results.size(); ++r)
    store(node.results[r], std::move(results[r]));
}

TileOrder Run::orderOf(const plan::StageTiling &tiling) const {
  return TileOrder(tiling, plan.chained, plan.tiles.extent()[0]);
}

std::vector<Region> Run::sourceReads(int index, const plan::Stage &stage,
                                     const plan::StageTiling &tiling) {
  std::vector<int> streamed;
  for (int id : stage.tileNodes)
    for (int v : program.nodes[id].operands)
      if (source[v])
        streamed.push_back(v);
  std::vector<Region> reads;
  if (streamed.size() != 1)
    return reads; // read-ahead serves the one-slide case
  int64_t position = 0;
  orderOf(tiling).walk(
      index,
      [&](const TileId &id, const plan::TileWindows &) {
        return !doneBefore(index, position++) &&
               (!options.willRun || options.willRun(id));
      },
      [&](const TileOrder::Visit &t) {
        const plan::TileWindows &w = *t.windows;
        const auto &read = w.fresh.empty() ? w.compute : w.fresh;
        if (!read[streamed[0]].empty())
          reads.push_back(read[streamed[0]]);
      });
  return reads;
}

std::unique_ptr<TileJob> Run::jobFor(const plan::Stage &stage,
                                     const std::vector<int> &blockInputs,
                                     const plan::TileWindows &w) {
  auto job = std::make_unique<TileJob>();
  job->sequence = sequence++;
  job->stage = &stage;
  job->windows = w;
  for (int v : blockInputs) {
    const Region &region = loadRegion(w, v);
    if (!region.empty())
      job->inputs[v] = TileJob::Block{region, load(v, region)};
  }
  return job;
}

/// The values `stage`'s tiles read in blocks from outside the stage: model
/// inputs and stored values that a tile node reads as an image operand.
std::vector<int> blockInputsOf(const Program &program, const plan::Stage &stage,
                               const plan::StageSchedule &schedule) {
  std::vector<int> blocks;
  for (int v : schedule.loaded) {
    bool image = false;
    for (int id : stage.tileNodes) {
      const Node &node = program.nodes[id];
      for (size_t i = 0; i < node.operands.size(); ++i)
        image = image || (node.operands[i] == v && node.window &&
                          node.window->spatial[i]);
    }
    if (image && !program.constants.contains(v))
      blocks.push_back(v);
  }
  return blocks;
}

void Run::runTiles(int index, const plan::StageTiling &tiling,
                   const plan::StageSchedule &schedule) {
  const std::vector<int> blockInputs =
      blockInputsOf(program, stages.stages[index], schedule);
  const plan::Stage &current = stages.stages[index];
  int64_t position = 0, retired = 0;
  auto wanted = [&](const TileId &id, const plan::TileWindows &w) {
    if (doneBefore(index, position++)) {
      ++stats.tilesResumed;
      if (options.resumed)
        options.resumed(id, w);
      return false;
    }
    return !options.wanted || options.wanted(id, w);
  };
  // Tiles in walk order. A completed job waits here until every tile
  // before it is retired, so outputs, reductions and progress see the
  // tiles in one order whatever order the backend completes them in.
  struct Pending {
    TileOrder::Visit visit;
    int64_t sequence = -1;        // of its job; -1: skipped
    std::unique_ptr<TileJob> job; // once completed
  };
  std::deque<Pending> pending;
  int64_t outstanding = 0;
  auto retire = [&] {
    while (!pending.empty() &&
           (pending.front().sequence < 0 || pending.front().job)) {
      Pending p = std::move(pending.front());
      pending.pop_front();
      const TileOrder::Visit &t = p.visit;
      if (t.ran) {
        for (const auto &[v, block] : p.job->sinks)
          route(current, p.job->windows, v, block);
        stats.peakTileBytes = std::max(stats.peakTileBytes, p.job->peakBytes);
        if (t.priming) {
          ++stats.tilesPriming;
          continue;
        }
        ++stats.tilesRun;
        stats.tilesChained += t.reused;
      } else {
        ++stats.tilesSkipped;
      }
      if (options.progress)
        options.progress(t.id, t.ran);
      ++retired;
      if (options.checkpoints && options.checkpoints->due() &&
          !doneBefore(index, retired - 1))
        checkpoint(index, retired, /*values=*/false);
    }
  };
  auto completeOne = [&] {
    auto start = Clock::now();
    std::unique_ptr<TileJob> job = backend.complete();
    stats.tileSeconds += since(start);
    auto slot = std::find_if(pending.begin(), pending.end(), [&](auto &p) {
      return job && p.sequence == job->sequence && !p.job;
    });
    if (slot == pending.end())
      throw RuntimeError("internal error: the " + backend.name() +
                         " backend lost a tile or completed one twice");
    slot->job = std::move(job);
    --outstanding;
    retire();
  };
  const int64_t most = std::max(1, backend.inFlight());
  auto walk = [&] {
    orderOf(tiling).walk(index, wanted, [&](const TileOrder::Visit &t) {
      pending.push_back(Pending{t, -1, nullptr});
      pending.back().visit.windows = nullptr; // the walk's, about to change
      if (!t.ran) {
        retire();
        return;
      }
      std::unique_ptr<TileJob> job = jobFor(current, blockInputs, *t.windows);
      pending.back().sequence = job->sequence;
      auto start = Clock::now();
      backend.submit(std::move(job), *this);
      stats.tileSeconds += since(start);
      ++outstanding;
      while (outstanding >= most)
        completeOne();
    });
    while (outstanding > 0)
      completeOne();
    retire();
  };
  try {
    walk();
  } catch (...) {
    // Jobs left in the backend must not complete into a later run.
    while (outstanding > 0) {
      try {
        if (!backend.complete())
          break;
      } catch (...) {
        break;
      }
      --outstanding;
    }
    throw;
  }
}

void Run::runStage(int index) {
  const plan::Stage &current = stages.stages[index];
  const bool resuming = index == resumeStage;
  if (!resuming) // else their results came with the checkpoint
    for (int id : current.globalNodes)
      runOnce(id);
  plan::inferTileSizes(program, current, sizes);
  plan::StageTiling tiling = plan.tiling(program, size_t(index), sizes);
  stats.grids.push_back(tiling.grid());
  plan::StageSchedule schedule =
      backend.schedule(program, current, stages, sizes);
  backend.beginStage(program, current, schedule, sizes);
  reducers.clear();
  for (int id : current.reduceNodes)
    reducers[id] = resuming && resumeReductions.count(id)
                       ? Reducer(resumeReductions.at(id))
                       : Reducer(reduceKindOf(program.nodes[id]));
  if (options.checkpoints && !resuming)
    checkpoint(index, 0, /*values=*/true);

  if (!options.wanted || options.willRun) {
    std::vector<Region> reads = sourceReads(index, current, tiling);
    for (InputSource *s : source)
      if (s && !reads.empty())
        s->expect(reads);
  }
  runTiles(index, tiling, schedule);
  for (int id : current.reduceNodes)
    store(program.nodes[id].results[0], reducers[id].finish(program.nodes[id]));
  for (int id : current.wholeNodes)
    runOnce(id);
}

void Run::bindInputs(std::vector<Tensor> &inputs) {
  if (inputs.size() != program.inputs.size())
    throw RuntimeError("the model takes " +
                       std::to_string(program.inputs.size()) +
                       " inputs, given " + std::to_string(inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    int v = program.inputs[i];
    auto streamed = options.sources.find(i);
    if (streamed != options.sources.end()) {
      source[v] = streamed->second;
      Shape shape = source[v]->shape();
      checkShape(program.values[v], shape);
      sizes[v] = {shape[2], shape[3]};
      continue;
    }
    checkShape(program.values[v], inputs[i].shape);
    if (int64_t(inputs[i].data.size()) != numElements(inputs[i].shape))
      throw RuntimeError("input '" + program.values[v].name + "' holds " +
                         std::to_string(inputs[i].data.size()) +
                         " values for shape " + formatShape(inputs[i].shape));
    store(v, std::move(inputs[i]));
  }
}

std::vector<Tensor> Run::run(std::vector<Tensor> inputs) {
  size_t values = program.values.size();
  stored.assign(values, Tensor());
  onDisk.clear();
  onDisk.resize(values);
  sizes.assign(values, {-1, -1});
  source.assign(values, nullptr);
  streamedAs.assign(values, {});
  readWhole.assign(values, false);
  begun.assign(program.outputs.size(), false);
  for (const auto &[v, shape] : program.constants.shapes())
    if (shape.size() == 4)
      sizes[v] = {shape[2], shape[3]};
  // As predictSizes: H and W the program fixes are known from the start.
  for (size_t v = 0; v < values; ++v) {
    const Shape &shape = program.values[v].shape;
    if (shape.size() == 4 && shape[2] >= 0 && shape[3] >= 0)
      sizes[v] = {shape[2], shape[3]};
  }
  for (const auto &[output, out] : options.sinks)
    streamedAs.at(program.outputs.at(output)).push_back(output);
  for (const Node &node : program.nodes)
    for (int v : node.operands) {
      int from = stages.producer[v];
      readWhole[v] =
          readWhole[v] || (from >= 0 &&
                           (node.role != Role::Tile ||
                            program.nodes[from].stage != node.stage) &&
                           node.role != Role::Reduce);
    }
  bindInputs(inputs);
  if (options.checkpoints && options.checkpoints->found())
    restore(*options.checkpoints);
  for (size_t s = 0; s < stages.stages.size(); ++s) {
    if (int(s) < resumeStage)
      skipStage(int(s));
    else
      runStage(int(s));
    release(int(s));
  }
  for (size_t v = 0; v < values; ++v)
    closeScratch(v);

  std::vector<Tensor> outputs;
  for (size_t i = 0; i < program.outputs.size(); ++i) {
    int v = program.outputs[i];
    auto streamed = options.sinks.find(i);
    if (streamed == options.sinks.end()) {
      outputs.push_back(whole(v));
      continue;
    }
    outputs.emplace_back();
    bool tiled = stages.producer[v] >= 0 &&
                 program.nodes[stages.producer[v]].role == Role::Tile;
    if (!tiled) { // computed once: one block
      const Tensor &t = whole(v);
      if (t.rank() != 4)
        throw RuntimeError("output '" + program.values[v].name +
                           "' is not an image and cannot be streamed");
      stream(i, Region::whole(sizes[v]), t);
    } else if (!begun[i]) { // every tile skipped
      Shape shape = program.values[v].shape;
      shape[2] = sizes[v][0];
      shape[3] = sizes[v][1];
      streamed->second->begin(shape);
    }
    streamed->second->finish();
  }
  return outputs;
}

} // namespace detail

std::vector<Tensor> execute(const Program &program,
                            const plan::ExecutionPlan &plan, Backend &backend,
                            std::vector<Tensor> inputs, const Options &options,
                            Stats *stats) {
  if (plan.chained && !backend.keepsRows())
    throw RuntimeError("internal error: a plan of chained tiles for the " +
                       backend.name() + " backend, which does not chain them");
  Stats local;
  Stats &into = stats ? *stats : local;
  into.tiles = plan.tiles;
  into.predicted = plan.memory;
  into.storage = plan.storage;
  detail::Run run(program, plan, backend, options, into);
  std::vector<Tensor> outputs = run.run(std::move(inputs));
  into.counters = backend.counters();
  into.opSeconds = backend.opSeconds();
  return outputs;
}

Size2 firstInputSize(const std::vector<Tensor> &inputs,
                     const Options &options) {
  auto source = options.sources.find(0);
  if (source != options.sources.end()) {
    Shape shape = source->second->shape();
    return shape.size() == 4 ? Size2{shape[2], shape[3]} : Size2{0, 0};
  }
  if (!inputs.empty() && inputs[0].rank() == 4)
    return {inputs[0].dim(2), inputs[0].dim(3)};
  return {0, 0};
}

std::vector<Tensor> execute(const Program &program, Backend &backend,
                            std::vector<Tensor> inputs, const Options &options,
                            Stats *stats) {
  plan::TileRequest request;
  request.fixed = {options.tileEdge, options.tileRows};
  plan::ExecutionPlan plan = plan::planExecution(
      program, firstInputSize(inputs, options), backend.traits(), request);
  return execute(program, plan, backend, std::move(inputs), options, stats);
}

} // namespace sstep::exec
