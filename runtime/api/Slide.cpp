//===- Slide.cpp - SSTEP's C++ API: a Model over a whole slide ------------===//

#include "runtime/api/Slide.h"
#include "runtime/api/Backends.h"
#include "runtime/plan/MemoryPlan.h"
#include "runtime/plan/Stages.h"
#include "runtime/slide/SlideError.h"
#include "runtime/slide/SlideReader.h"

#include <algorithm>

namespace sstep {
namespace {

std::unique_ptr<slide::SlideReader> openLevel(const std::string &slidePath,
                                              int level, int threads) {
  slide::ReaderOptions readerOptions;
  readerOptions.threads = unsigned(std::max(0, threads));
  auto reader = slide::SlideReader::open(slidePath, readerOptions);
  if (level < 0 || level >= reader->levelCount())
    throw RuntimeError("--level=" + std::to_string(level) + ": " + slidePath +
                       " has " + std::to_string(reader->levelCount()) +
                       " levels (0.." +
                       std::to_string(reader->levelCount() - 1) + ")");
  return reader;
}

pipeline::SlideRunReport
runChecked(const Model &model, const std::string &slidePath, SlideJob job) {
  std::unique_ptr<exec::Backend> backend =
      requireBackend(job.backend, job.threads, job.memoryBudget);
  auto reader = openLevel(slidePath, job.run.level, job.threads);
  const slide::LevelInfo &info = reader->level(job.run.level);
  Size2 size{info.height, info.width};
  if (job.tileEdge > 0) {
    job.run.tileEdge = job.tileEdge;
    job.run.tileRows = job.tileRows;
  } else if (backendKeepsRows(job.backend)) {
    // Chained strips compute every row once: no halo to trade against the
    // tile size, so the widest strip that fits the budget, and short
    // enough to read ahead, report progress and resume by.
    plan::TileShape tiles =
        plan::chooseStrips(model.program(), plan::planStages(model.program()),
                           size, job.memoryBudget);
    job.run.tileEdge = tiles.edge;
    job.run.tileRows = tiles.rows;
  } else {
    job.run.tileEdge =
        pipeline::chooseSlideTileEdge(model.program(), size, job.memoryBudget);
    job.run.tileRows = 0;
  }
  if (job.run.fingerprint.empty())
    job.run.fingerprint = job.backend;
  return pipeline::runSlide(model.program(), *backend, *reader, job.run);
}

pipeline::PatchRunReport runPatchesChecked(const Model &model,
                                           const std::string &slidePath,
                                           PatchJob job) {
  std::unique_ptr<exec::Backend> backend =
      requireBackend(job.backend, job.threads, job.memoryBudget);
  auto reader = openLevel(slidePath, job.run.level, job.threads);
  RunOptions run;
  run.backend = job.backend;
  run.tileEdge = job.tileEdge;
  run.tileRows = job.tileRows;
  run.memoryBudget = job.memoryBudget;
  plan::TileShape tiles =
      model.tileShapeFor(Size2{job.run.size, job.run.size}, run);
  // A tile as large as the patch is the whole patch.
  bool whole = tiles.edge >= job.run.size &&
               (tiles.rows == 0 || tiles.rows >= job.run.size);
  job.run.tileEdge = whole ? 0 : tiles.edge;
  job.run.tileRows = whole ? 0 : tiles.rows;
  if (job.run.fingerprint.empty())
    job.run.fingerprint = job.backend;
  return pipeline::runPatches(model.program(), *backend, *reader, job.run);
}

} // namespace

pipeline::PatchRunReport runPatchesOnSlide(const Model &model,
                                           const std::string &slidePath,
                                           PatchJob job) {
  try {
    return runPatchesChecked(model, slidePath, std::move(job));
  } catch (const slide::SlideError &e) {
    throw RuntimeError(e.what());
  }
}

pipeline::SlideRunReport
runOnSlide(const Model &model, const std::string &slidePath, SlideJob job) {
  try {
    return runChecked(model, slidePath, std::move(job));
  } catch (const slide::SlideError &e) {
    // Unreadable slides and unwritable outputs are bad input.
    throw RuntimeError(e.what());
  }
}

} // namespace sstep
