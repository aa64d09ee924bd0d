//===- SlideTiles.cpp - Which tiles of a slide run this process computes --===//

#include "runtime/core/Paths.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/pipeline/SlideRunParts.h"
#include "runtime/plan/Stages.h"
#include "runtime/slide/TissueMask.h"

#include <algorithm>
#include <unistd.h>

namespace sstep::pipeline {
namespace {

/// Per tile of `tiling`: whether its share of `input` (the level) touches
/// tissue. The mask is asked on a grid of about one cell per mask pixel,
/// and a share counts every cell it overlaps, so it errs towards tissue.
std::vector<uint8_t> tissueTiles(const slide::SlideReader &reader, int level,
                                 const std::string &maskFile,
                                 const plan::StageTiling &tiling, int input) {
  slide::TissueMask mask = slide::TissueMask::forSlide(reader, maskFile);
  const slide::LevelInfo &info = reader.level(level);
  int64_t cw = std::max<int64_t>(1, info.width / mask.width());
  int64_t ch = std::max<int64_t>(1, info.height / mask.height());
  std::vector<uint8_t> cells =
      mask.tileGrid(info.width, info.height, cw, ch, 0);
  int64_t cols = (info.width + cw - 1) / cw;
  std::vector<uint8_t> tissue(size_t(tiling.tiles()), 0);
  for (int64_t r = 0, i = 0; r < tiling.grid()[0]; ++r)
    for (int64_t c = 0; c < tiling.grid()[1]; ++c, ++i) {
      Region s = tiling.share(input, r, c);
      for (int64_t y = s.axes[0].lo / ch; !s.empty() && y <= s.axes[0].hi / ch;
           ++y)
        for (int64_t x = s.axes[1].lo / cw; x <= s.axes[1].hi / cw; ++x)
          tissue[size_t(i)] |= cells[size_t(y * cols + x)];
    }
  return tissue;
}

std::string fingerprintOf(const Program &program,
                          const slide::SlideReader &reader,
                          const SlideRunOptions &options,
                          const plan::TileShape &tiles,
                          const plan::StageTiling &tiling,
                          const std::vector<OutputPlan> &outs) {
  Fingerprint f;
  f.add("sstep slide run 1").add(options.fingerprint);
  addProgram(f, program);
  addFile(f, reader.path());
  f.add(options.level).add(options.normalization.str());
  f.add(tiles.edge).add(tiles.rows);
  f.add(tiling.grid()[0]).add(tiling.grid()[1]);
  f.add(options.tissueMask).add(&options.background, sizeof(float));
  if (!options.maskFile.empty())
    addFile(f, options.maskFile);
  float scale = options.format.scale.value_or(-1.0f);
  f.add(&scale, sizeof scale);
  f.add(int64_t(options.format.compression));
  for (const OutputPlan &o : outs)
    f.add(int64_t(o.file.index)).add(o.file.path);
  if (options.band.split())
    f.add(int64_t(options.band.rank)).add(int64_t(options.band.ranks));
  return f.hex();
}

/// Opens the journal of a resumable run and marks the tiles it has done;
/// else removes what a killed run left.
void openJournal(const Program &program, const SlideRunOptions &options,
                 const plan::Sizes &sizes, const Outputs &outputs,
                 const std::string &fingerprint, TilePlan &tiles,
                 SlideRunReport &report, const Leftovers &leftovers) {
  const std::string &journalPath = outputs.journalPath;
  // A single run starting afresh voids what a split run left (its bands'
  // journals describe spill contents this run is about to overwrite).
  if (!options.band.split() && !outputs.journalPath.empty() &&
      !(report.resumable && Journal::holds(journalPath, fingerprint)))
    removeBandJournals(journalPath);
  if (!report.resumable) {
    // Left by a killed run of a model that cannot resume, or of another
    // command: the spill files are emptied as they are opened.
    bool left = !journalPath.empty() && fileSize(journalPath) >= 0;
    for (const std::string &spill : leftovers.spills)
      left = left || fileSize(spill) >= 0;
    if (left && report.checkpointFolder.empty())
      note(options, "found the files of an interrupted run, but this run "
                    "cannot resume (" +
                        report.notResumable + "): starting from scratch");
    if (!journalPath.empty())
      ::unlink(journalPath.c_str());
    return;
  }
  // A journal whose spill files are gone or of another size is void.
  if (!spillsWhole(program, sizes, outputs) && fileSize(journalPath) >= 0) {
    note(options,
         journalPath + " has lost its spill file: starting from scratch");
    ::unlink(journalPath.c_str());
  }
  tiles.journal = std::make_unique<Journal>(journalPath, fingerprint);
  report.journal = tiles.journal->start();
  if (report.journal == Journal::Start::Mismatch)
    note(options, journalPath +
                      " is from a different command (model, slide, level, "
                      "tile or options): starting from scratch");
  for (size_t i = 0; i < tiles.state.size(); ++i)
    if (tiles.state[i] == TileState::Run && tiles.journal->done(int64_t(i))) {
      tiles.state[i] = TileState::Done;
      ++report.tilesResumed;
    }
  if (report.journal == Journal::Start::Resumed)
    note(options, "resuming from " + journalPath + ": " +
                      std::to_string(report.tilesResumed) + " of " +
                      std::to_string(tiles.state.size()) + " tiles done");
}

/// Marks the tiles outside this process's band as run elsewhere. Bands
/// follow the tiles to run before any journal is read, so they stay the
/// same when a split run resumes.
void keepBand(const plan::StageTiling &tiling, const SlideBand &band,
              std::vector<TileState> &state) {
  int64_t rows = tiling.grid()[0], cols = tiling.grid()[1];
  std::vector<int64_t> runs(size_t(rows), 0);
  for (int64_t i = 0; i < rows * cols; ++i)
    runs[size_t(i / cols)] += state[size_t(i)] == TileState::Run;
  auto [first, last] = bandRows(runs, band.rank, band.ranks);
  for (int64_t i = 0; i < rows * cols; ++i)
    if (i / cols < first || i / cols >= last)
      state[size_t(i)] = TileState::Elsewhere;
}

/// Rank 0 of a split run makes the spill files every rank writes into. It
/// keeps them only when a killed split of this same command left them
/// (whole, and rank 0's journal has this command's fingerprint: the other
/// bands' journals then are this command's too); else it empties them and
/// removes every journal beside the output, whose tiles went with them.
/// Then all ranks go on.
void prepareSpills(const Program &program, const plan::Sizes &sizes,
                   const Outputs &outputs, const SlideRunOptions &options,
                   const std::string &fingerprint) {
  if (options.band.rank == 0) {
    bool whole = spillsWhole(program, sizes, outputs) &&
                 Journal::holds(outputs.journalPath, fingerprint);
    std::string single = outputs.plans[0].file.path + ".journal";
    if (!whole) {
      removeBandJournals(single);
      ::unlink(single.c_str());
    }
    for (const OutputPlan &o : outputs.plans) {
      const Shape &shape = program.values[o.value].shape;
      Size2 size = sizes[o.value];
      SpillFile(o.spillPath, shape[1], size[0], size[1], whole);
    }
  }
  options.band.barrier();
}

} // namespace

bool spillsWhole(const Program &program, const plan::Sizes &sizes,
                 const Outputs &outputs) {
  for (const OutputPlan &o : outputs.plans) {
    if (!o.streamed)
      continue;
    const Shape &shape = program.values[o.value].shape;
    Size2 size = sizes[o.value];
    if (fileSize(o.spillPath) != shape[1] * size[0] * size[1] * 4)
      return false;
  }
  return true;
}

std::string whyNotResumable(const Program &program,
                            const plan::ExecutionPlan &plan,
                            const std::vector<OutputPlan> &outs) {
  std::vector<int> streamed;
  for (const OutputPlan &o : outs)
    if (o.streamed)
      streamed.push_back(o.value);
  return exec::whyNotCheckpointed(program, plan, streamed);
}

std::string checkpointFolderOf(const SlideRunOptions &options,
                               const std::vector<OutputPlan> &outs) {
  const std::string &first = outs.at(0).file.path;
  std::string folder =
      options.scratchFolder.empty() ? folderOf(first) : options.scratchFolder;
  return folder + "/" + first.substr(first.rfind('/') + 1) + ".resume";
}

namespace {

/// Whether the spill file of every streamed output that `checkpoint` says
/// has blocks written (its stage begun) is there at its full size.
bool spillsWritten(const Program &program, const plan::ExecutionPlan &plan,
                   const plan::Sizes &sizes, const Outputs &outputs,
                   const exec::Checkpoint &checkpoint) {
  for (const OutputPlan &o : outputs.plans) {
    int from = plan.stages.producer[o.value];
    int stage = from < 0 ? 0 : program.nodes[from].stage;
    bool begun = stage < checkpoint.stage ||
                 (stage == checkpoint.stage && checkpoint.tilesDone > 0);
    const Shape &shape = program.values[o.value].shape;
    Size2 size = sizes[o.value];
    if (o.streamed && begun &&
        fileSize(o.spillPath) != shape[1] * size[0] * size[1] * 4)
      return false;
  }
  return true;
}

} // namespace

std::unique_ptr<exec::Checkpoints>
openCheckpoints(const Program &program, const plan::ExecutionPlan &plan,
                const plan::Sizes &sizes, const Outputs &outputs,
                const SlideRunOptions &options, const std::string &fingerprint,
                SlideRunReport &report) {
  Fingerprint f;
  f.add(fingerprint).add("checkpoints 1");
  for (const plan::StoredValue &s : plan.storage.values)
    f.add(int64_t(s.value)).add(int64_t(s.onDisk));
  const std::string &folder = report.checkpointFolder;
  auto open = [&] {
    return std::make_unique<exec::Checkpoints>(folder, f.hex(),
                                               options.checkpointSeconds);
  };
  std::unique_ptr<exec::Checkpoints> checkpoints = open();
  using Start = exec::Checkpoints::Start;
  if (checkpoints->found() &&
      !spillsWritten(program, plan, sizes, outputs, *checkpoints->found())) {
    note(options, folder + " has lost its outputs' spill files: starting "
                           "from scratch");
    checkpoints->remove();
    checkpoints = open();
  } else if (checkpoints->start() == Start::Mismatch) {
    note(options, folder + " is from a different command (model, slide, level, "
                           "tile or options): starting from scratch");
  } else if (const auto &found = checkpoints->found()) {
    note(options, "resuming from " + folder + ": stage " +
                      std::to_string(found->stage + 1) + " of " +
                      std::to_string(plan.stages.stages.size()) + ", " +
                      std::to_string(found->tilesDone) + " of its tiles done");
  }
  return checkpoints;
}

void note(const SlideRunOptions &options, const std::string &text) {
  std::fprintf(options.log, "%s: note: %s\n", options.tool.c_str(),
               text.c_str());
}

/// Refuses a tissue mask for a model that would read skipped tiles: they
/// leave zeros in stored images, so only reductions (which see the tiles
/// that ran) and heads on them may follow the first stage.
void checkMaskable(const plan::Stages &stages) {
  bool maskable = true;
  for (size_t i = 0; i < stages.stages.size(); ++i)
    maskable = maskable && stages.stages[i].wholeNodes.empty() &&
               (i == 0 || stages.stages[i].tileNodes.empty());
  if (!maskable)
    throw RuntimeError("the tissue mask needs a model whose tiles all run in "
                       "its first stage, followed by nothing but reductions "
                       "and heads; this one has " +
                       std::to_string(stages.stages.size()) +
                       " stages or whole-image nodes, which would read the "
                       "skipped tiles");
}

TilePlan planTiles(const Program &program, const plan::ExecutionPlan &plan,
                   const slide::SlideReader &reader,
                   const SlideRunOptions &options,
                   const plan::StageTiling &tiling, const plan::Sizes &sizes,
                   const Outputs &outputs, SlideRunReport &report,
                   const Leftovers &leftovers) {
  TilePlan tiles;
  tiles.state.assign(size_t(tiling.tiles()), TileState::Run);
  if (options.tissueMask) {
    std::vector<uint8_t> tissue = tissueTiles(
        reader, options.level, options.maskFile, tiling, program.inputs[0]);
    for (size_t i = 0; i < tiles.state.size(); ++i)
      if (!tissue[i]) {
        tiles.state[i] = TileState::Background;
        ++report.tilesBackground;
      }
  }
  std::string fingerprint = fingerprintOf(program, reader, options, plan.tiles,
                                          tiling, outputs.plans);
  tiles.fingerprint = fingerprint;
  if (options.band.split()) {
    keepBand(tiling, options.band, tiles.state);
    prepareSpills(program, sizes, outputs, options, fingerprint);
  }
  openJournal(program, options, sizes, outputs, fingerprint, tiles, report,
              leftovers);
  for (TileState s : tiles.state)
    report.tilesToRun += s == TileState::Run;
  return tiles;
}

} // namespace sstep::pipeline
