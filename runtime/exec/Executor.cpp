//===- Executor.cpp - Runs a partitioned Program stage by stage -----------===//

#include "runtime/exec/Executor.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/exec/Reducer.h"
#include "runtime/exec/ScratchImage.h"
#include "runtime/exec/TileOrder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <limits>

namespace sstep::exec {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void checkShape(const ValueInfo &info, const Shape &shape) {
  bool fits = info.shape.size() == shape.size();
  for (size_t i = 0; fits && i < info.shape.size(); ++i)
    fits = info.shape[i] < 0 || info.shape[i] == shape[i];
  if (!fits)
    throw RuntimeError("input '" + info.name + "' has shape " +
                       formatShape(shape) + ", the model expects " +
                       formatShape(info.shape));
}

class Run : public TileContext {
public:
  Run(const Program &program, const plan::ExecutionPlan &plan, Backend &backend,
      const Options &options, Stats &stats)
      : program(program), plan(plan), backend(backend), options(options),
        stats(stats), stages(plan.stages) {}

  std::vector<Tensor> run(std::vector<Tensor> inputs);

  Tensor load(int value, const Region &region) override;
  const Tensor &whole(int value) override;
  void sink(int value, Tensor block) override;

private:
  void bindInputs(std::vector<Tensor> &inputs);
  /// Routes sink `v`'s block of a completed tile with windows `w` of
  /// `stage` to stored values, reductions and streamed outputs.
  void route(const plan::Stage &stage, const plan::TileWindows &w, int v,
             const Tensor &block);
  /// A job for a tile with windows `w`, its blocks from outside the stage
  /// loaded.
  std::unique_ptr<TileJob> jobFor(const plan::Stage &stage,
                                  const std::vector<int> &blockInputs,
                                  const plan::TileWindows &w);
  void runStage(int index);
  /// A stage a resumed run finds done: its tiles are reported resumed.
  void skipStage(int index);
  /// Takes up where the checkpoint found in options.checkpoints stood.
  void restore(const Checkpoints &checkpoints);
  /// Saves a checkpoint: `stage`'s first `tilesDone` tiles are done, and
  /// with `values`, its global nodes have just run.
  void checkpoint(int stage, int64_t tilesDone, bool values);
  /// Whether tile `position` (in run order) of stage `index` was done by
  /// the run that saved the checkpoint this one resumed from.
  bool doneBefore(int index, int64_t position) const {
    return index < resumeStage ||
           (index == resumeStage && position < resumeTiles);
  }
  void runTiles(int index, const plan::StageTiling &tiling,
                const plan::StageSchedule &schedule);
  void runOnce(int id);
  void store(int v, Tensor t);
  /// Pastes a tile's owned block of stored image `v` in memory or on disk.
  void keep(int v, const Tensor &block, const Region &computed,
            const Region &owned);
  /// Drops the stored values no stage after `index` reads.
  void release(int index);
  /// Closes value `v`'s scratch file, if any, counting its bytes.
  void closeScratch(size_t v);
  /// Updates the peaks of stored bytes, after an image was allocated.
  void countStored();
  std::vector<Region> sourceReads(int index, const plan::Stage &stage,
                                  const plan::StageTiling &tiling);
  TileOrder orderOf(const plan::StageTiling &tiling) const;
  void stream(size_t output, const Region &region, const Tensor &block);

  const Program &program;
  const plan::ExecutionPlan &plan;
  Backend &backend;
  const Options &options;
  Stats &stats;
  const plan::Stages &stages;
  std::vector<Tensor> stored;
  /// The stored images the plan puts on disk, once their first block came.
  std::vector<std::unique_ptr<ScratchImage>> onDisk;
  plan::Sizes sizes;
  /// Per value: the source it streams from, the outputs it streams to,
  /// and whether a node outside its tile group reads it.
  std::vector<InputSource *> source;
  std::vector<std::vector<size_t>> streamedAs;
  std::vector<bool> readWhole;
  std::vector<bool> begun;
  std::map<int, Reducer> reducers;
  int64_t sequence = 0;
  /// Where the checkpoint resumed from stood (-1: not resumed).
  int resumeStage = -1;
  int64_t resumeTiles = 0;
  std::map<int, Reducer::State> resumeReductions;
};

const Tensor &Run::whole(int v) {
  if (program.constants.contains(v))
    return program.constants.get(v);
  if (source[v])
    throw RuntimeError("internal error: streamed input '" +
                       program.values[v].name + "' is read whole");
  if (plan.storage.onDisk(v))
    throw RuntimeError("internal error: '" + program.values[v].name +
                       "', stored on disk, is read whole");
  return stored[v];
}

Tensor Run::load(int v, const Region &region) {
  if (source[v]) {
    auto start = Clock::now();
    Tensor t = source[v]->read(region);
    stats.readSeconds += since(start);
    if (t.rank() != 4 || t.dim(2) != region.axes[0].size() ||
        t.dim(3) != region.axes[1].size())
      throw RuntimeError("the source of '" + program.values[v].name +
                         "' returned " + formatShape(t.shape) + " for " +
                         formatRegion(region));
    return t;
  }
  if (plan.storage.onDisk(v)) {
    if (!onDisk[v] || !Region::whole(sizes[v]).contains(region))
      throw RuntimeError("internal error: the tile reads " +
                         formatRegion(region) + " of '" +
                         program.values[v].name + "', not stored");
    auto start = Clock::now();
    Tensor t = onDisk[v]->read(region);
    stats.readSeconds += since(start);
    return t;
  }
  const Tensor &all = whole(v);
  Region image = Region::whole(sizes[v]);
  if (numElements(all.shape) == 0 || all.rank() != 4 || !image.contains(region))
    throw RuntimeError("internal error: the tile reads " +
                       formatRegion(region) + " of '" + program.values[v].name +
                       "', which holds " + formatShape(all.shape));
  return crop(all, image, region);
}

void Run::store(int v, Tensor t) {
  if (t.rank() == 4)
    sizes[v] = {t.dim(2), t.dim(3)};
  stored[v] = std::move(t);
  countStored();
}

std::string scratchFolderOf(const Options &options) {
  if (!options.scratchFolder.empty())
    return options.scratchFolder;
  const char *tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

void Run::keep(int v, const Tensor &block, const Region &computed,
               const Region &owned) {
  if (plan.storage.onDisk(v)) {
    auto start = Clock::now();
    // Tiles as wide as the image write planar ranges without a copy;
    // narrower ones a row of all channels at a time (ScratchImage.h).
    if (!onDisk[v]) {
      Shape shape{block.dim(0), block.dim(1), sizes[v][0], sizes[v][1]};
      bool interleaved = owned.axes[1].size() < sizes[v][1];
      onDisk[v] = options.checkpoints
                      ? std::make_unique<ScratchImage>(
                            options.checkpoints->imagePath(v),
                            program.values[v].name, shape, interleaved,
                            /*reopen=*/false)
                      : std::make_unique<ScratchImage>(scratchFolderOf(options),
                                                       program.values[v].name,
                                                       shape, interleaved);
      countStored();
    }
    onDisk[v]->write(block, computed, owned);
    stats.writeSeconds += since(start);
    return;
  }
  Tensor &all = stored[v];
  if (all.data.empty()) {
    all = Tensor({block.dim(0), block.dim(1), sizes[v][0], sizes[v][1]});
    countStored();
  }
  paste(all, Region::whole(sizes[v]), block, computed, owned);
}

void Run::release(int index) {
  const std::vector<int> &after = plan.storage.releaseAfter;
  for (size_t v = 0; v < after.size(); ++v)
    if (after[v] == index && !source[v]) {
      stored[v] = Tensor();
      closeScratch(v);
    }
}

void Run::closeScratch(size_t v) {
  if (!onDisk[v])
    return;
  stats.scratchWritten += onDisk[v]->bytesWritten();
  stats.scratchRead += onDisk[v]->bytesRead();
  onDisk[v].reset();
}

void Run::countStored() {
  int64_t memory = 0, disk = 0;
  for (size_t v = 0; v < stored.size(); ++v) {
    if (stages.producer[v] >= 0)
      memory += int64_t(stored[v].data.size() * sizeof(float));
    if (onDisk[v])
      disk += onDisk[v]->bytes();
  }
  stats.storedPeakBytes = std::max(stats.storedPeakBytes, memory);
  stats.scratchPeakBytes = std::max(stats.scratchPeakBytes, disk);
}

void Run::stream(size_t output, const Region &region, const Tensor &block) {
  OutputSink *out = options.sinks.at(output);
  auto start = Clock::now();
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

void Run::skipStage(int index) {
  plan::StageTiling tiling = plan.tiling(program, size_t(index), sizes);
  stats.grids.push_back(tiling.grid());
  orderOf(tiling).walk(
      index, [](const TileId &, const plan::TileWindows &) { return false; },
      [&](const TileOrder::Visit &t) {
        ++stats.tilesSkipped;
        ++stats.tilesResumed;
        if (options.resumed)
          options.resumed(t.id, *t.windows);
        if (options.progress)
          options.progress(t.id, false);
      });
}

void Run::restore(const Checkpoints &checkpoints) {
  const Checkpoint &c = *checkpoints.found();
  auto check = [&](int v) {
    if (v < 0 || size_t(v) >= program.values.size())
      throw RuntimeError("checkpoint in " + checkpoints.folder() +
                         " names value " + std::to_string(v) +
                         ", which the model does not have");
  };
  for (auto &[v, t] : checkpoints.foundValues()) {
    check(v);
    store(v, std::move(t));
  }
  for (const auto &[v, image] : c.images) {
    check(v);
    onDisk[v] = std::make_unique<ScratchImage>(
        checkpoints.imagePath(v), program.values[v].name, image.shape,
        image.interleaved, /*reopen=*/true);
  }
  // The stages skipped size their tiles from values not restored.
  plan::Sizes predicted = plan::predictSizes(program, stages, plan.input);
  for (size_t v = 0; v < sizes.size(); ++v)
    if (sizes[v][0] < 0)
      sizes[v] = predicted[v];
  resumeStage = c.stage;
  resumeTiles = c.tilesDone;
  resumeReductions = c.reductions;
}

void Run::checkpoint(int stage, int64_t tilesDone, bool values) {
  Checkpoint c;
  c.stage = stage;
  c.tilesDone = tilesDone;
  for (const auto &[id, reducer] : reducers)
    c.reductions[id] = reducer.state();
  for (size_t v = 0; v < onDisk.size(); ++v)
    if (onDisk[v]) {
      onDisk[v]->sync();
      c.images[int(v)] = {onDisk[v]->shape(), onDisk[v]->interleaved()};
    }
  if (values) {
    std::map<int, const Tensor *> held;
    for (size_t v = 0; v < stored.size(); ++v)
      if (!stored[v].data.empty() && !program.constants.contains(int(v)))
        held[int(v)] = &stored[v];
    options.checkpoints->saveValues(stage, held);
  }
  options.checkpoints->save(c);
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

} // namespace

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
  Run run(program, plan, backend, options, into);
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
