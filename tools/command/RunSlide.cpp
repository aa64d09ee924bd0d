//===- RunSlide.cpp - sstep-run MODEL SLIDE: a model over a slide ---------===//

#include "tools/command/RunSlide.h"
#include "runtime/api/Backends.h"
#include "runtime/api/Slide.h"
#include "runtime/core/ProcessMemory.h"
#include "runtime/plan/MemoryPlan.h"
#include "runtime/plan/Stages.h"
#include "tools/command/RunCohort.h"

#ifdef SSTEP_HAVE_MPI
#include "runtime/cohort/MpiWorld.h"
#elif defined(SSTEP_HAVE_COHORT)
#include "runtime/cohort/Launch.h"
#endif
#include "tools/command/RunPatches.h"
#include "tools/command/SlideOptions.h"
#include "tools/command/TileOptions.h"
#include "tools/command/WriteOutput.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace sstep {
namespace {

using tool::Args;
using tool::UsageError;

void writeSlideStats(const std::string &file, const Program &program,
                     const std::string &slidePath, int level,
                     const pipeline::SlideRunReport &r,
                     const plan::MemoryPrediction &p) {
  const exec::Stats &s = r.stats;
  double megapixels = double(r.level[0]) * double(r.level[1]) / 1e6;
  std::ofstream out(file);
  out << "{\n  \"slide\": \"" << slidePath << "\",\n  \"level\": " << level
      << ",\n  \"level_size\": [" << r.level[0] << ", " << r.level[1]
      << "],\n  \"tile_edge\": " << r.tileEdge
      << ",\n  \"tile_rows\": " << p.tileRows << ",\n  \"grids\": [";
  for (size_t i = 0; i < s.grids.size(); ++i)
    out << (i ? ", " : "") << "[" << s.grids[i][0] << ", " << s.grids[i][1]
        << "]";
  out << "],\n  \"tiles_run\": " << s.tilesRun
      << ",\n  \"tiles_chained\": " << s.tilesChained
      << ",\n  \"tiles_priming\": " << s.tilesPriming
      << ",\n  \"tiles_skipped\": " << s.tilesSkipped
      << ",\n  \"tiles_resumed\": " << r.tilesResumed
      << ",\n  \"tiles_background\": " << r.tilesBackground
      << ",\n  \"resumable\": " << (r.resumable ? "true" : "false")
      << ",\n  \"seconds\": " << r.seconds
      << ",\n  \"read_seconds\": " << s.readSeconds
      << ",\n  \"compute_seconds\": "
      << s.tileSeconds - s.readSeconds - s.writeSeconds + s.onceSeconds
      << ",\n  \"write_seconds\": " << s.writeSeconds
      << ",\n  \"decode_seconds\": " << r.decodeSeconds
      << ",\n  \"writer_seconds\": " << r.writerSeconds
      << ",\n  \"finish_seconds\": " << r.finishSeconds
      << ",\n  \"bands_early\": " << r.bandsEarly
      << ",\n  \"prefetched_reads\": " << r.prefetchedReads
      << ",\n  \"synchronous_reads\": " << r.synchronousReads
      << ",\n  \"input_megapixels\": " << megapixels
      << ",\n  \"megapixels_per_second\": "
      << (r.seconds > 0 ? megapixels / r.seconds : 0)
      << ",\n  \"predicted_tile_bytes\": " << p.tileBytes
      << ",\n  \"measured_tile_bytes\": " << s.peakTileBytes
      << ",\n  \"weight_bytes\": " << p.weightBytes
      << ",\n  \"predicted_stream_bytes\": " << p.streamBytes
      << ",\n  \"predicted_finish_bytes\": " << p.finishBytes
      << ",\n  \"predicted_peak_bytes\": " << p.workingSet()
      << ",\n  \"stored_bytes\": " << p.storedBytes
      << ",\n  \"peak_rss_bytes\": " << peakResidentBytes();
  storedStats(out, program, s);
  endStats(out, s.counters, s.opSeconds, file);
}

pipeline::SlideRunOptions slideOptions(const SlideCall &call) {
  const Args &args = *call.args;
  pipeline::SlideRunOptions o;
  setSharedSlideOptions(call, o, o.abortAfterTiles);
  if (const char *stop = std::getenv("SSTEP_TEST_STOP_AFTER_TILES");
      stop && call.killHookArmed)
    o.stopAfterTiles = std::atoll(stop);
  if (const char *every = std::getenv("SSTEP_TEST_CHECKPOINT_SECONDS"))
    o.checkpointSeconds = std::atof(every);
  if (args.has("checkpoint-seconds")) {
    double every = tool::parseDouble("--checkpoint-seconds",
                                     args.get("checkpoint-seconds"));
    if (!(every >= 0))
      throw UsageError("--checkpoint-seconds must be 0 or more, got " +
                       args.get("checkpoint-seconds"));
    o.checkpointSeconds = every;
  }
  if (args.has("output-scale")) {
    double scale =
        tool::parseDouble("--output-scale", args.get("output-scale"));
    if (!(scale > 0))
      throw UsageError("--output-scale must be positive, got " +
                       args.get("output-scale"));
    o.format.scale = float(scale);
  }
  try {
    o.format.compression =
        slide::parseCompression(args.get("compression", "deflate"));
  } catch (const std::invalid_argument &e) {
    throw UsageError(std::string("--compression: ") + e.what());
  }
  o.background =
      args.has("background")
          ? float(tool::parseDouble("--background", args.get("background")))
          : 0.0f;
  return o;
}

} // namespace

void checkSlideOptions(const SlideCall &call) {
  const Args &args = *call.args;
  if (args.has("patches"))
    return checkPatchOptions(call);
  for (const char *name : {"patch-stride", "patch-layout", "min-tissue"})
    if (args.has(name))
      throw UsageError(std::string("--") + name + " needs --patches");
  slideOptions(call);
  parseTileRequest(args, call.defaults.slideTile, call.defaults.slideBudget);
}

namespace {

/// One slide in this process, or this process's band of it.
int runHere(const SlideCall &call, SlideOutcome *outcome,
            const pipeline::SlideBand &band) {
  const Args &args = *call.args;
  if (args.has("patches"))
    return runPatchCommand(call, outcome);
  checkSlideOptions(call);
  const Model &model = *call.model;
  SlideJob job;
  job.backend = call.backend;
  job.threads = args.has("threads")
                    ? int(tool::parseInt("--threads", args.get("threads")))
                    : 0;
  TileRequest request = parseTileRequest(args, call.defaults.slideTile,
                                         call.defaults.slideBudget);
  job.tileEdge = request.edge;
  job.tileRows = request.rows;
  job.memoryBudget = request.budget;
  parseStoreOptions(args, call.files.empty() ? "" : call.files.front().second,
                    job);
  job.run = slideOptions(call);
  job.run.band = band;
  // Rank 0 speaks for a split run.
  job.run.progress = job.run.progress && band.rank == 0;
  pipeline::SlideRunReport report = runOnSlide(model, call.slidePath, job);
  const Program &program = model.program();
  for (const auto &[index, file] : call.files)
    if (report.outputs[index].rank() > 0 || !report.outputs[index].data.empty())
      writeOutput(file, program.outputName(index), report.outputs[index]);
  if (args.has("stats") && band.rank == 0)
    writeSlideStats(args.get("stats"), program, call.slidePath, job.run.level,
                    report, report.stats.predicted);
  if (outcome) {
    outcome->megapixels =
        double(report.level[0]) * double(report.level[1]) / 1e6;
    outcome->tilesResumed = report.tilesResumed;
  }
  return 0;
}

#ifdef SSTEP_HAVE_MPI
/// Under mpirun or srun: each rank runs a band of the slide's tile rows and
/// rank 0 writes the outputs (pipeline/SlideBands.h).
int runSplit(const SlideCall &call) {
  if (call.args->has("patches"))
    throw UsageError("--patches runs in one process: under mpirun, give the "
                     "slides as a --cohort");
  cohort::MpiWorld world;
  Args args = *call.args;
  if (!args.has("threads"))
    args.set("threads", std::to_string(threadsOf(args, cohort::localRanks())));
  SlideCall split = call;
  split.args = &args;
  pipeline::SlideBand band;
  band.rank = world.rank();
  band.ranks = world.size();
  band.barrier = [&world] { world.barrier(); };
  try {
    return runHere(split, nullptr, band);
  } catch (const std::exception &error) {
    // Leaving on an error aborts every rank (MpiWorld) before the command
    // could say why: say it here.
    std::fprintf(stderr, "%s: error: %s\n", call.toolName.c_str(),
                 error.what());
    std::fflush(stderr);
    throw;
  }
}
#endif

} // namespace

int runOneSlide(const SlideCall &call, SlideOutcome *outcome) {
  // Under Slurm, the task's CPUs rather than the node's.
  if (call.args->has("threads"))
    return runHere(call, outcome, {});
  Args args = *call.args;
  args.set("threads", std::to_string(threadsOf(args)));
  SlideCall withThreads = call;
  withThreads.args = &args;
  return runHere(withThreads, outcome, {});
}

int runSlide(const SlideCall &call, SlideOutcome *outcome) {
  if (!call.cohort.empty())
    return runCohortCommand(call);
#ifdef SSTEP_HAVE_MPI
  if (cohort::launchedByMpi())
    return runSplit(call);
#elif defined(SSTEP_HAVE_COHORT)
  // Each copy would run the whole slide into the same files.
  if (cohort::launchedByMpi())
    throw UsageError(call.toolName +
                     " was built without MPI, so it cannot split a slide "
                     "across ranks: run it as one process, or give the "
                     "slides as a --cohort");
#endif
  return runOneSlide(call, outcome);
}

} // namespace sstep
