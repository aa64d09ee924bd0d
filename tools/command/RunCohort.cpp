//===- RunCohort.cpp - sstep-run MODEL --cohort M.csv -o OUTDIR -----------===//

#include "tools/command/RunCohort.h"

#ifndef SSTEP_HAVE_COHORT
namespace sstep {
int runCohortCommand(const SlideCall &call) {
  throw tool::UsageError(call.toolName +
                         " was built without cohorts (libcsv-dev and "
                         "nlohmann-json3-dev were missing)");
}
} // namespace sstep
#else

#include "runtime/cohort/CohortRun.h"
#include "runtime/cohort/SlideCost.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/pipeline/OutputFormat.h"
#include "runtime/pipeline/SlideRun.h"
#include "runtime/slide/SlideReader.h"
#include "tools/command/RunSlide.h"
#include "tools/command/TileOptions.h"

#ifdef SSTEP_HAVE_MPI
#include "runtime/cohort/MpiSource.h"
using MpiWorldHandle = sstep::cohort::MpiWorld;
#else
struct MpiWorldHandle {};
#endif

#include <cstdio>
#include <cstdlib>
#include <map>
#include <thread>
#include <unistd.h>

namespace sstep {
namespace {

using tool::Args;
using tool::UsageError;
using namespace cohort;

/// Options whose values decide a slide's results, hashed into each record.
const char *const ResultOptions[] = {
    "level",       "normalize", "output-scale",  "background",   "compression",
    "tissue-mask", "patches",   "patch-stride",  "patch-layout", "min-tissue",
    "tile",        "tile-rows", "memory-budget", "mask"};

std::string commandFingerprint(const SlideCall &call) {
  pipeline::Fingerprint f;
  pipeline::addProgram(f, call.model->program());
  f.add(call.backend);
  for (const char *name : ResultOptions)
    f.add(std::string(name) + "=" + call.args->get(name, "-"));
  return f.hex();
}

/// The file extension a path ends with (".tif"), or "".
std::string extensionOf(const std::string &name) {
  size_t dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? "" : name.substr(dot);
}

/// Each slide's output paths: OUTDIR/ID.tif (ID.h5 for patches), or the
/// manifest's name; with several model outputs, NAME-OUTPUT.ext each.
std::vector<std::vector<std::string>> outputPathsOf(const Manifest &m,
                                                    const std::string &outDir,
                                                    const SlideCall &call) {
  const Program &program = call.model->program();
  std::string defaultExt = call.args->has("patches") ? ".h5" : ".tif";
  std::vector<std::vector<std::string>> paths;
  std::map<std::string, int> taken;
  for (const ManifestEntry &e : m.slides) {
    std::string ext = e.output.empty() ? defaultExt : extensionOf(e.output);
    std::string stem = e.output.empty()
                           ? e.id
                           : e.output.substr(0, e.output.size() - ext.size());
    std::vector<std::string> files;
    for (size_t i = 0; i < program.outputs.size(); ++i) {
      std::string name = program.outputs.size() == 1
                             ? stem + ext
                             : stem + "-" + program.outputName(i) + ext;
      if (!pipeline::formatOf(name))
        throw RuntimeError(m.path + ": row " + std::to_string(e.row) +
                           ": output " + name +
                           " is of no known type (use .tif, .tiff, .h5, "
                           ".npy or .json)");
      auto [it, fresh] = taken.emplace(name, e.row);
      if (!fresh)
        throw RuntimeError(m.path + ": row " + std::to_string(e.row) +
                           ": output " + name + " is also row " +
                           std::to_string(it->second) + "'s");
      files.push_back(outDir + "/" + name);
    }
    paths.push_back(std::move(files));
  }
  return paths;
}

/// The launch this process is part of: a Slurm job array, a Slurm job.
std::string runIdOf() {
  if (const char *array = std::getenv("SLURM_ARRAY_JOB_ID"))
    return std::string("slurm-array-") + array;
  if (const char *job = std::getenv("SLURM_JOB_ID"))
    return std::string("slurm-job-") + job;
  return "";
}

double parseSeconds(const char *name, double fallback) {
  const char *text = std::getenv(name);
  return text && std::atof(text) > 0 ? std::atof(text) : fallback;
}

/// Refuses, before anything runs, options a cohort cannot take.
void checkCohortOptions(const SlideCall &call) {
  const Args &args = *call.args;
  if (args.has("stats"))
    throw UsageError("--stats does not apply to --cohort: each slide's "
                     "statistics are in OUTDIR/.sstep/stats/");
  if (args.has("mask"))
    throw UsageError("--mask names one slide's mask: give each slide its "
                     "own in the manifest's mask column");
  if (args.getInt("max-attempts", 3) < 1)
    throw UsageError("--max-attempts must be at least 1");
  args.require("o");
  checkSlideOptions(call);
}

/// The job `call` describes, over `manifest` with its state in `state`.
CohortJob jobOf(const SlideCall &call, const Manifest &manifest,
                const CohortState &state) {
  const Args &args = *call.args;
  CohortJob job;
  job.manifest = &manifest;
  job.state = &state;
  job.outputs = outputPathsOf(manifest, state.outDir(), call);
  job.commandFingerprint = commandFingerprint(call);
  job.maxAttempts = int(args.getInt("max-attempts", 3));
  job.runId = runIdOf();
  job.progress = !args.has("quiet");
  job.tool = call.toolName;
  // Tests shorten these; clusters keep the defaults.
  job.staleSeconds = parseSeconds("SSTEP_LEASE_STALE_SECONDS", 600);
  job.heartbeatSeconds =
      parseSeconds("SSTEP_LEASE_HEARTBEAT_SECONDS", job.staleSeconds / 20);
  return job;
}

/// Runs the cohort; `world` is MPI's when ranks share it, else null.
int runCohortIn(const SlideCall &call, MpiWorldHandle *world) {
  const Args &args = *call.args;
  Manifest manifest = readManifest(call.cohort);
  CohortState state(args.get("o"));
  CohortJob job = jobOf(call, manifest, state);
  int level = int(args.getInt("level", 0));
  bool tissueMask = args.has("tissue-mask");
  std::unique_ptr<WorkSource> source;
  int ranksHere = 1;
#ifdef SSTEP_HAVE_MPI
  if (world) {
    ranksHere = localRanks();
    auto mpi = std::make_unique<MpiSource>(*world);
    // Only rank 0 opens every slide to order them; the others wait for it.
    job.megapixels.assign(manifest.slides.size(), 0.0);
    if (mpi->leader()) {
      job.megapixels = slideCosts(manifest, state, level, tissueMask);
      mpi->start(largestFirst(job.megapixels));
    }
    source = std::move(mpi);
  }
#endif
  if (!source) {
    job.megapixels = slideCosts(manifest, state, level, tissueMask);
    source = std::make_unique<ListSource>(largestFirst(job.megapixels));
  }

  std::string threads = std::to_string(threadsOf(args, ranksHere));
  // Test hook: SSTEP_TEST_ABORT_IN_SLIDE=K arms the kill hook for the K-th
  // slide this process runs only, so a test kills a worker mid-cohort.
  int64_t killIn = 0, slidesRun = 0;
  if (const char *k = std::getenv("SSTEP_TEST_ABORT_IN_SLIDE"))
    killIn = std::atoll(k);
  SlideRunner run = [&](const ManifestEntry &e,
                        const std::vector<std::string> &outputs,
                        const std::function<void()> &checkpoint) {
    Args slideArgs = args;
    slideArgs.erase("o");
    if (e.level >= 0)
      slideArgs.set("level", std::to_string(e.level));
    if (!e.mask.empty())
      slideArgs.set("mask", e.mask);
    slideArgs.set("quiet", "1");
    slideArgs.set("threads", threads);
    slideArgs.set("stats", state.folder() + "/stats/" + e.id + ".json");
    SlideCall slideCall = call;
    slideCall.killHookArmed = killIn == 0 || ++slidesRun == killIn;
    slideCall.cohort.clear();
    slideCall.checkpoint = checkpoint;
    slideCall.args = &slideArgs;
    slideCall.slidePath = e.slide;
    slideCall.files.clear();
    for (size_t i = 0; i < outputs.size(); ++i)
      slideCall.files.push_back({i, outputs[i]});
    // A failure throws, and the cohort records its message.
    SlideOutcome outcome;
    runOneSlide(slideCall, &outcome);
    return SlideRunResult{outcome.megapixels, outcome.tilesResumed};
  };
  CohortSummary summary = runCohort(job, *source, run);
  return summary.complete() || !source->leader() ? 0 : 2;
}

} // namespace

int runCohortCommand(const SlideCall &call) {
  checkCohortOptions(call);
  // MPI starts first: a rank that fails from here on takes the job down
  // (MpiWorld), rather than leaving rank 0 waiting for it.
  std::unique_ptr<MpiWorldHandle> world;
#ifdef SSTEP_HAVE_MPI
  if (launchedByMpi())
    world = std::make_unique<MpiWorld>();
#endif
  try {
    return runCohortIn(call, world.get());
  } catch (const std::exception &error) {
    // Say why before MpiWorld aborts every rank.
    if (world) {
      std::fprintf(stderr, "%s: error: %s\n", call.toolName.c_str(),
                   error.what());
      std::fflush(stderr);
    }
    throw;
  }
}

} // namespace sstep

#endif // SSTEP_HAVE_COHORT
