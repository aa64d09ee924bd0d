//===- SlideRun.cpp - A model run over a whole slide level ----------------===//

#include "runtime/pipeline/SlideRun.h"
#include "runtime/core/BufferPool.h"
#include "runtime/core/Paths.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/pipeline/Progress.h"
#include "runtime/pipeline/SlideRunParts.h"
#include "runtime/pipeline/SpillWriter.h"
#include "runtime/plan/MemoryPlan.h"
#include "runtime/plan/Stages.h"
#include "runtime/plan/Tiling.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <memory>
#include <unistd.h>

namespace sstep::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

OutputOptions formatOptions(const SlideRunOptions &options,
                            const slide::SlideReader &reader,
                            const SpillFile &spill) {
  const slide::LevelInfo &info = reader.level(options.level);
  OutputOptions o = options.format;
  // The sizes' ratio is the model's stride only up to the flooring of the
  // output size (1000 px at stride 16 give 62, a ratio of 16.13); strides
  // are whole numbers or their inverses.
  double ratio = double(info.width) / double(spill.width());
  double stride = ratio >= 1 ? std::round(ratio) : 1 / std::round(1 / ratio);
  double mpp = reader.properties().mppX;
  o.mpp = mpp > 0 ? mpp * info.downsample * stride : 0;
  o.attributes["level"] = options.level;
  o.attributes["level_downsample"] = info.downsample;
  o.attributes["stride"] = stride;
  if (o.mpp > 0)
    o.attributes["mpp"] = o.mpp;
  return o;
}

Outputs planOutputs(const Program &program, const plan::Stages &stages,
                    const SlideRunOptions &options, Leftovers &leftovers) {
  Outputs outputs;
  outputs.plans.resize(options.outputs.size());
  for (size_t i = 0; i < outputs.plans.size(); ++i) {
    OutputPlan &o = outputs.plans[i];
    o.file = options.outputs[i];
    o.value = program.outputs.at(o.file.index);
    std::optional<OutputFormat> format = formatOf(o.file.path);
    if (!format)
      throw RuntimeError(o.file.path + ": unknown output type (use .tif, "
                                       ".tiff, .h5, .npy or .json)");
    o.format = *format;
    const Shape &shape = program.values[o.value].shape;
    int producer = stages.producer[o.value];
    bool tiled = producer >= 0 && program.nodes[producer].role == Role::Tile;
    bool image = shape.size() == 4 && shape[0] == 1;
    o.streamed = o.format == OutputFormat::Tiff ||
                 o.format == OutputFormat::Hdf5 ||
                 (o.format == OutputFormat::Npy && tiled && image);
    if (o.streamed && !image)
      throw RuntimeError(o.file.path + ": output '" +
                         program.outputName(o.file.index) + "' of shape " +
                         formatShape(shape) +
                         " is not an image: write it as .npy or .json");
    if (o.streamed) {
      std::string why = checkOutput(o.format, shape[1], options.format);
      if (!why.empty())
        throw RuntimeError(o.file.path + ": " + why);
      o.spillPath = o.file.path + ".partial";
      leftovers.spills.push_back(o.spillPath);
      if (outputs.journalPath.empty())
        outputs.journalPath =
            options.band.split()
                ? bandJournal(o.file.path + ".journal", options.band.rank,
                              options.band.ranks)
                : o.file.path + ".journal";
    }
    outputs.allStreamedTiles = outputs.allStreamedTiles && o.streamed && tiled;
  }
  return outputs;
}

/// A sink per streamed output, writing spill files through `writer` and
/// encoding bands of them as they fill.
void openSinks(std::vector<OutputPlan> &outs, SpillWriter &writer, bool keep,
               const SlideRunOptions &options,
               const slide::SlideReader &reader) {
  for (OutputPlan &o : outs)
    if (o.streamed) {
      std::string spillPath = o.spillPath, path = o.file.path;
      OutputFormat format = o.format;
      o.sink = std::make_unique<SpillSink>(
          writer,
          [spillPath, keep](const Shape &shape) {
            return std::make_unique<SpillFile>(spillPath, shape[1], shape[2],
                                               shape[3], keep);
          },
          [&options, &reader, path, format](const SpillFile &spill) {
            // A band's blocks are encoded by rank 0 once all bands are in.
            if (options.band.split())
              return std::unique_ptr<OutputEncoder>();
            return std::make_unique<OutputEncoder>(
                spill, path, format, formatOptions(options, reader, spill));
          });
    }
}

/// Tells the executor which tiles to skip (resumed or background), filling
/// their output blocks, and which it will run (for the source's read-ahead).
void skipTiles(exec::Options &exec, const std::vector<TileState> &state,
               std::vector<OutputPlan> &outs, const SlideRunOptions &options) {
  exec.wanted = [&](const exec::TileId &id, const plan::TileWindows &w) {
    if (id.stage != 0)
      return true;
    TileState s = state[size_t(id.index)];
    if (s == TileState::Elsewhere)
      return false;
    bool fill = s == TileState::Background && options.background != 0;
    for (OutputPlan &o : outs) {
      const Region &owned = w.owned[o.value];
      if (s == TileState::Run || owned.empty())
        continue;
      if (o.sink) // a resumed block is in the spill file already
        o.sink->skip(owned, fill, options.background);
      else if (s == TileState::Background)
        o.background.push_back(owned);
    }
    return s == TileState::Run;
  };
  // The same decision, so that the executor tells the source what it will
  // read, in its own order (chained strips read fresh rows, column by
  // column, and restart primed after a skipped tile).
  exec.willRun = [&](const exec::TileId &id) {
    return id.stage != 0 || state[size_t(id.index)] == TileState::Run;
  };
}

/// Background blocks into outputs from memory; streamed outputs completed
/// into their files; then, the outputs in place, the journal and spills go.
void finishOutputs(std::vector<OutputPlan> &outs, Journal *journal,
                   std::vector<Tensor> &results, const SlideRunOptions &options,
                   SlideRunReport &report) {
  for (OutputPlan &o : outs) {
    if (!o.streamed) {
      Tensor &t = results[o.file.index];
      for (const Region &region : o.background)
        for (int64_t c = 0; c < t.dim(1); ++c)
          for (int64_t y = region.axes[0].lo; y <= region.axes[0].hi; ++y)
            for (int64_t x = region.axes[1].lo; x <= region.axes[1].hi; ++x)
              t.data[size_t((c * t.dim(2) + y) * t.dim(3) + x)] =
                  options.background;
      continue;
    }
    o.sink->complete();
    report.bandsEarly += o.sink->encoder()->bandsEarly();
  }
  if (journal)
    journal->remove();
  for (OutputPlan &o : outs)
    if (o.sink)
      o.sink->file()->remove();
}

/// The end of a split run: once every band's blocks are durable, rank 0
/// encodes each output from its spill file, then removes the journals and
/// spills. A rank killed before then leaves its journal for the rerun.
void assembleBands(const Program &program, const plan::Sizes &sizes,
                   std::vector<OutputPlan> &outs,
                   const SlideRunOptions &options,
                   const slide::SlideReader &reader) {
  // Durable before the barrier: rank 0 may read through another host's
  // file system client.
  for (OutputPlan &o : outs)
    if (o.sink->file())
      o.sink->file()->sync();
  options.band.barrier();
  if (options.band.rank != 0)
    return;
  for (OutputPlan &o : outs) {
    const Shape &shape = program.values[o.value].shape;
    Size2 size = sizes[o.value];
    SpillFile spill(o.spillPath, shape[1], size[0], size[1], /*keep=*/true);
    convertSpill(spill, o.file.path, o.format,
                 formatOptions(options, reader, spill));
  }
  std::string single = outs[0].file.path + ".journal";
  removeBandJournals(single);
  ::unlink(single.c_str());
  for (OutputPlan &o : outs)
    ::unlink(o.spillPath.c_str());
}

SlideRunReport run(const Program &program, const plan::ExecutionPlan &plan,
                   exec::Backend &backend, const slide::SlideReader &reader,
                   const SlideRunOptions &options, Leftovers &leftovers) {
  auto start = Clock::now();
  SlideRunReport report;
  if (program.inputs.size() != 1)
    throw RuntimeError("a slide feeds a model with one image input; this "
                       "model has " +
                       std::to_string(program.inputs.size()) + " inputs");
  const slide::LevelInfo &info = reader.level(options.level);
  report.level = {info.height, info.width};
  report.tileEdge = plan.tiles.edge;
  report.tileRows = plan.tiles.rows;
  if (plan.input != report.level)
    throw RuntimeError("internal error: a plan for " +
                       std::to_string(plan.input[1]) + " x " +
                       std::to_string(plan.input[0]) +
                       " pixels run on a level of another size");
  const plan::Stages &stages = plan.stages;
  if (stages.stages.empty())
    throw RuntimeError("the model computes nothing from its input");
  plan::Sizes sizes = plan::predictSizes(program, stages, report.level);
  const int input = program.inputs[0];

  Outputs outputs = planOutputs(program, stages, options, leftovers);
  std::vector<OutputPlan> &outs = outputs.plans;
  const plan::Stage &first = stages.stages[0];
  report.resumable = stages.stages.size() == 1 && first.reduceNodes.empty() &&
                     first.wholeNodes.empty() && outputs.allStreamedTiles;
  if (!report.resumable)
    report.notResumable = whyNotResumable(program, plan, outs);
  if (report.notResumable.empty() && !report.resumable)
    report.checkpointFolder = checkpointFolderOf(options, outs);
  // From here a failure keeps the spill files of a resumable run: a journal
  // (this process's or, split, another rank's) or a checkpoint may vouch
  // for their blocks.
  leftovers.resumable = report.resumable || !report.checkpointFolder.empty();
  if (options.band.split() && !report.resumable)
    throw RuntimeError(
        "one slide split across " + std::to_string(options.band.ranks) +
        " processes needs a model whose tiles all run in one stage with "
        "every output streamed to .tif, .h5 or .npy; run this one in one "
        "process");
  if (options.tissueMask)
    checkMaskable(stages);
  // The executor's tiling of the first stage: the journal's and the tissue
  // mask's tile indices are its tiles.
  plan::StageTiling tiling = plan.tiling(program, 0, sizes);
  TilePlan tiles = planTiles(program, plan, reader, options, tiling, sizes,
                             outputs, report, leftovers);
  std::unique_ptr<exec::Checkpoints> checkpoints;
  if (!report.checkpointFolder.empty())
    checkpoints = openCheckpoints(program, plan, sizes, outputs, options,
                                  tiles.fingerprint, report);
  report.resumable = report.resumable || checkpoints;

  // Declared after the sinks, so its thread stops before their files close.
  SpillWriter writer(tiles.journal.get(), options.writerQueueBytes > 0
                                              ? options.writerQueueBytes
                                              : int64_t(512) << 20);
  openSinks(outs, writer,
            options.band.split() ||
                (tiles.journal &&
                 tiles.journal->start() == Journal::Start::Resumed) ||
                (checkpoints && checkpoints->found()),
            options, reader);

  // An interior tile's window (tile and halo) is the largest region read.
  Region largest =
      tiling.tiles() == 0
          ? Region{}
          : tiling
                .windows(std::min<int64_t>(1, tiling.grid()[0] - 1),
                         std::min<int64_t>(1, tiling.grid()[1] - 1))
                .compute[input];
  int64_t regionBytes = std::max<int64_t>(1, largest.pixels() * 3 * 4);
  int64_t readAhead =
      options.readAheadRegions > 0
          ? options.readAheadRegions
          : std::clamp<int64_t>(options.readAheadBytes / regionBytes, 1, 4);
  SlideSource source(reader, options.level, options.normalization,
                     size_t(readAhead));
  exec::Options exec;
  exec.scratchFolder = options.scratchFolder;
  exec.sources[0] = &source;
  for (OutputPlan &o : outs)
    if (o.sink)
      exec.sinks[o.file.index] = o.sink.get();
  if (report.tilesToRun != int64_t(tiles.state.size()))
    skipTiles(exec, tiles.state, outs, options);
  if (checkpoints) {
    checkpoints->beforeSave = [&writer] { writer.drain(); };
    exec.checkpoints = checkpoints.get();
    exec.resumed = [&outs](const exec::TileId &, const plan::TileWindows &w) {
      for (OutputPlan &o : outs)
        if (o.sink && !w.owned[o.value].empty())
          o.sink->skip(w.owned[o.value], /*fill=*/false, 0);
    };
  }

  int tiledStages = 0;
  for (const plan::Stage &stage : stages.stages)
    tiledStages += !stage.tileNodes.empty();
  Progress progress(options.log, options.progress, options.terminal,
                    tiledStages, options.tool);
  progress.setTilesToRun(report.tilesToRun);
  const double levelPixels = double(info.width) * double(info.height);
  int64_t ranHere = 0, doneInStage = 0;
  int stageNow = -1;
  double pixelsRun = 0;
  Journal *journal = tiles.journal.get();
  exec.progress = [&](const exec::TileId &id, bool ran) {
    if (ran && journal && id.stage == 0)
      writer.tileDone(id.index);
    double pixels = id.stage == 0
                        ? double(tiling.share(input, id.row, id.col).pixels())
                        : levelPixels / double(id.count);
    progress.tile(id, ran, pixels);
    if (options.onTile) {
      if (id.stage != stageNow) {
        stageNow = id.stage;
        doneInStage = 0;
      }
      pixelsRun += ran ? pixels : 0;
      options.onTile(++doneInStage, id.count, pixelsRun / 1e6 / since(start));
    }
    ranHere += ran ? 1 : 0;
    if (ran && ranHere == options.abortAfterTiles) {
      writer.drain();
      std::fflush(nullptr);
      ::raise(SIGKILL);
    }
    if (ran && ranHere == options.stopAfterTiles) {
      std::fflush(nullptr);
      ::raise(SIGSTOP);
    }
  };

  std::vector<Tensor> inputs(1);
  try {
    report.outputs = exec::execute(program, plan, backend, std::move(inputs),
                                   exec, &report.stats);
  } catch (...) {
    // A run stopped on purpose (Ctrl-C in Python, a failing tile) keeps
    // every block already handed to the writer, journaled, for a resume.
    if (journal) {
      try {
        writer.drain();
      } catch (...) {
      }
    }
    throw;
  }
  progress.end();
  writer.drain();
  report.tilesResumed += report.stats.tilesResumed;
  // The tiles are done: the pages their blocks held and the reader's
  // decoded tiles go before the outputs' pyramids are built, which then
  // hold the weights and the encoders' tiles alone (plan::StreamModel).
  reader.dropCachedTiles();
  BufferPool::process().returnFreePages();

  auto finishStart = Clock::now();
  if (options.band.split())
    assembleBands(program, sizes, outs, options, reader);
  else
    finishOutputs(outs, journal, report.outputs, options, report);
  if (checkpoints)
    checkpoints->remove();
  report.finishSeconds = since(finishStart);
  report.decodeSeconds = source.decodeSeconds();
  report.prefetchedReads = source.prefetched();
  report.synchronousReads = source.synchronous();
  report.writerSeconds = writer.busySeconds();
  report.writerBlockedSeconds = writer.blockedSeconds();
  report.seconds = since(start);
  return report;
}

} // namespace

SlideRunReport runSlide(const Program &program, const plan::ExecutionPlan &plan,
                        exec::Backend &backend,
                        const slide::SlideReader &reader,
                        const SlideRunOptions &options) {
  Leftovers leftovers;
  try {
    return run(program, plan, backend, reader, options, leftovers);
  } catch (...) {
    // run()'s writer has stopped. A run that cannot resume leaves nothing.
    if (!leftovers.resumable)
      for (const std::string &path : leftovers.spills)
        ::unlink(path.c_str());
    throw;
  }
}

} // namespace sstep::pipeline
