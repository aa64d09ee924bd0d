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

pipeline::SlideRunReport
runChecked(const Model &model, const std::string &slidePath, SlideJob job) {
  std::unique_ptr<exec::Backend> backend =
      requireBackend(job.backend, job.threads, job.memoryBudget);
  slide::ReaderOptions readerOptions;
  readerOptions.threads = unsigned(std::max(0, job.threads));
  auto reader = slide::SlideReader::open(slidePath, readerOptions);
  int level = job.run.level;
  if (level < 0 || level >= reader->levelCount())
    throw RuntimeError("--level=" + std::to_string(level) + ": " + slidePath +
                       " has " + std::to_string(reader->levelCount()) +
                       " levels (0.." +
                       std::to_string(reader->levelCount() - 1) + ")");
  const slide::LevelInfo &info = reader->level(level);
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

} // namespace

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
