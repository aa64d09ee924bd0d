//===- Slide.cpp - SSTEP's C++ API: a Model over a whole slide ------------===//

#include "runtime/api/Slide.h"
#include "runtime/api/Backends.h"
#include "runtime/pipeline/OutputFormat.h"
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
      requireBackend(job.backend, job.threads, job.deviceBytes());
  auto reader = openLevel(slidePath, job.run.level, job.threads);
  const slide::LevelInfo &info = reader->level(job.run.level);
  // The reader's cache, the regions decoded ahead and the writer's queue
  // are counted in the budget, and sized to what was counted.
  plan::StreamModel stream;
  stream.sourceTile = {int64_t(info.tileHeight), int64_t(info.tileWidth)};
  const Program &program = model.program();
  for (const pipeline::SlideOutputFile &out : job.run.outputs) {
    if (out.index >= program.outputs.size())
      continue; // the run refuses it, naming the output
    const auto &shape = program.values[program.outputs[out.index]].shape;
    auto format = pipeline::formatOf(out.path);
    if (shape.size() != 4 || !format)
      continue;
    pipeline::EncoderBytes b =
        pipeline::encoderBytes(*format, shape[1], job.run.format);
    stream.encoderBytes += b.tiles;
    stream.finishBytes += b.finish;
  }
  plan::ExecutionPlan plan = model.planFor(Size2{info.height, info.width}, job,
                                           /*slide=*/true, &stream);
  if (plan.memory.streamBytes > 0) {
    reader->setCacheBytes(
        size_t(stream.readerCacheBytes(plan.memory.inputWindow)));
    job.run.readAheadRegions = stream.readAhead;
    job.run.writerQueueBytes = stream.writeQueue * plan.memory.sinkBlockBytes;
  }
  if (job.run.fingerprint.empty())
    job.run.fingerprint = job.backend;
  if (job.run.scratchFolder.empty())
    job.run.scratchFolder = job.scratchFolder;
  return pipeline::runSlide(model.program(), plan, *backend, *reader, job.run);
}

pipeline::PatchRunReport runPatchesChecked(const Model &model,
                                           const std::string &slidePath,
                                           PatchJob job) {
  std::unique_ptr<exec::Backend> backend =
      requireBackend(job.backend, job.threads, job.deviceBytes());
  auto reader = openLevel(slidePath, job.run.level, job.threads);
  // One plan for every patch.
  Size2 patch{job.run.size, job.run.size};
  plan::ExecutionPlan plan = model.planFor(patch, job);
  // A tile as large as the patch is the whole patch.
  Size2 tile = plan.tiles.extent();
  if (tile[1] >= patch[1] && tile[0] >= patch[0])
    plan.tiles = {};
  if (job.run.fingerprint.empty())
    job.run.fingerprint = job.backend;
  return pipeline::runPatches(model.program(), plan, *backend, *reader,
                              job.run);
}

} // namespace

pipeline::PatchRunReport runPatchesOnSlide(const Model &model,
                                           const std::string &slidePath,
                                           PatchJob job) {
  try {
    return runPatchesChecked(model, slidePath, std::move(job));
  } catch (const slide::SlideError &e) {
    throw SlideRunError(e.what());
  }
}

pipeline::SlideRunReport
runOnSlide(const Model &model, const std::string &slidePath, SlideJob job) {
  try {
    return runChecked(model, slidePath, std::move(job));
  } catch (const slide::SlideError &e) {
    // Unreadable slides and unwritable outputs are bad input.
    throw SlideRunError(e.what());
  }
}

} // namespace sstep
