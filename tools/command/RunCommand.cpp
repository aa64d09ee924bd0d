//===- RunCommand.cpp - The sstep-run command line, shared with AOT -------===//
//
// MODEL is a plan or an ONNX model (sstep-run) or built in (AOT). INPUT and
// OUTPUT are .npy (NCHW float32); an output may also be .json. An INPUT that
// is not .npy is a slide, run tiled by RunSlide.cpp.
//
//===----------------------------------------------------------------------===//

#include "tools/command/RunCommand.h"
#include "runtime/api/Backends.h"
#include "runtime/core/Npy.h"
#include "runtime/core/Paths.h"
#include "runtime/core/ProcessMemory.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/plan/MemoryPlan.h"
#include "runtime/plan/Stages.h"
#include "runtime/plan/StoredValues.h"
#include "tools/command/NpyResume.h"
#include "tools/command/NpyStreams.h"
#include "tools/command/TileOptions.h"
#include "tools/command/Usage.h"
#include "tools/command/WriteOutput.h"
#include "tools/common/Args.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

namespace sstep {

using tool::Args;
using tool::UsageError;

namespace {

std::pair<std::string, std::string> splitBinding(const std::string &text,
                                                 const char *option) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw UsageError(std::string(option) + " takes NAME=FILE, got \"" + text +
                     "\"");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

/// Index in `names` of `name`, or a usage error listing them.
size_t findByName(const std::vector<std::string> &names,
                  const std::string &name, const char *what) {
  std::string known;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name)
      return i;
    known += (i ? ", " : "") + names[i];
  }
  throw UsageError(std::string("the model has no ") + what + " named '" + name +
                   "' (it has: " + known + ")");
}

/// The .npy file of each input, opened (headers read).
std::vector<std::unique_ptr<NpyFile>>
openInputs(const Args &args, const std::vector<std::string> &positional,
           const Program &program) {
  std::vector<std::unique_ptr<NpyFile>> files(program.inputs.size());
  if (positional.size() > 1) {
    if (program.inputs.size() != 1)
      throw UsageError("the model has " +
                       std::to_string(program.inputs.size()) +
                       " inputs: name each with --input NAME=FILE");
    files[0] = std::make_unique<NpyFile>(positional[1]);
  }
  for (const std::string &binding : args.getAll("input")) {
    auto [name, file] = splitBinding(binding, "--input");
    std::vector<std::string> names;
    for (int id : program.inputs)
      names.push_back(program.values[id].name);
    files[findByName(names, name, "input")] = std::make_unique<NpyFile>(file);
  }
  for (size_t i = 0; i < files.size(); ++i)
    if (!files[i])
      throw UsageError("no tensor given for input '" +
                       program.values[program.inputs[i]].name + "'");
  return files;
}

/// Output index -> file, from -o and --output.
std::vector<std::pair<size_t, std::string>>
outputFiles(const Args &args, const Program &program) {
  std::vector<std::pair<size_t, std::string>> files;
  if (args.has("o")) {
    if (program.outputs.size() != 1)
      throw UsageError("the model has " +
                       std::to_string(program.outputs.size()) +
                       " outputs: name each with --output NAME=FILE");
    files.push_back({0, args.get("o")});
  }
  for (const std::string &binding : args.getAll("output")) {
    auto [name, file] = splitBinding(binding, "--output");
    std::vector<std::string> names;
    for (size_t i = 0; i < program.outputs.size(); ++i)
      names.push_back(program.outputName(i));
    files.push_back({findByName(names, name, "output"), file});
  }
  if (files.empty())
    throw UsageError("no output file given (-o FILE or --output NAME=FILE)");
  for (size_t i = 0; i < files.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (files[i].second == files[j].second)
        throw UsageError("output file '" + files[i].second +
                         "' is given twice");
  return files;
}

/// Whether INPUT is a slide rather than a .npy tensor.
bool isSlideInput(const std::string &input) { return !endsWith(input, ".npy"); }

/// Throws UsageError when an option only slide runs take is given.
void rejectSlideOptions(const Args &args) {
  for (const char *name : {"level", "normalize", "output-scale", "background",
                           "compression", "tissue-mask", "mask", "patches",
                           "patch-stride", "patch-layout", "min-tissue"})
    if (args.has(name))
      throw UsageError(std::string("--") + name +
                       " applies to slide inputs only");
}

/// Whether output `index` of a tiled run goes to `file` block by block: an
/// NCHW image written to one .npy file only.
bool streamsToFile(const Program &program,
                   const std::vector<std::pair<size_t, std::string>> &files,
                   size_t index, const std::string &file) {
  int bound = 0;
  for (const auto &binding : files)
    bound += binding.first == index;
  return bound == 1 && endsWith(file, ".npy") &&
         program.values[program.outputs[index]].shape.size() == 4;
}

/// The tiles --tile, --tile-rows and --memory-budget ask for: edge 0 for
/// none.
plan::TileShape tileShapeOf(const Args &args, const Model &model,
                            const Shape &input, const std::string &backend,
                            const CommandDefaults &defaults,
                            const plan::StreamModel &stream, int64_t &budget) {
  // A budget alone asks for tiles that fit it.
  TileRequest request = parseTileRequest(
      args, args.has("memory-budget") ? "auto" : defaults.tensorTile,
      defaults.tensorBudget);
  budget = request.budget;
  if (!request.automatic)
    return {request.edge, request.rows};
  RunOptions options;
  options.backend = backend;
  options.memoryBudget = request.budget;
  if (input.size() != 4)
    throw UsageError("--tile=auto needs an NCHW image as the first input");
  return model
      .planFor(Size2{input[2], input[3]}, options, /*slide=*/false, &stream)
      .tiles;
}

/// Seconds between checkpoints: --checkpoint-seconds, else 30.
double checkpointSecondsOf(const Args &args) {
  double every = 30;
  if (const char *test = std::getenv("SSTEP_TEST_CHECKPOINT_SECONDS"))
    every = std::atof(test);
  if (args.has("checkpoint-seconds")) {
    every = tool::parseDouble("--checkpoint-seconds",
                              args.get("checkpoint-seconds"));
    if (!(every >= 0))
      throw UsageError("--checkpoint-seconds must be 0 or more, got " +
                       args.get("checkpoint-seconds"));
  }
  return every;
}

/// Wall-clock phases of a run and the memory after loading the model.
struct Timing {
  double loadSeconds = 0, runSeconds = 0;
  int64_t residentAfterLoad = 0;
};

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

void writeStats(const std::string &file, const Program &program,
                const plan::MemoryPrediction &p, const exec::Stats &stats,
                const std::string &backend, const Timing &timing,
                const NpyStreamCounts &io) {
  std::ofstream out(file);
  out << "{\n  \"tile_edge\": " << p.tileEdge
      << ",\n  \"tile_rows\": " << p.tileRows << ",\n  \"grids\": [";
  for (size_t i = 0; i < stats.grids.size(); ++i)
    out << (i ? ", " : "") << "[" << stats.grids[i][0] << ", "
        << stats.grids[i][1] << "]";
  out << "],\n  \"tiles_run\": " << stats.tilesRun
      << ",\n  \"tiles_chained\": " << stats.tilesChained
      << ",\n  \"tiles_priming\": " << stats.tilesPriming
      << ",\n  \"predicted_tile_bytes\": " << p.tileBytes
      << ",\n  \"measured_tile_bytes\": " << stats.peakTileBytes
      << ",\n  \"weight_bytes\": " << p.weightBytes
      << ",\n  \"stored_bytes\": " << p.storedBytes << ",\n  \"backend\": \""
      << backend << "\""
      << ",\n  \"load_seconds\": " << timing.loadSeconds
      << ",\n  \"run_seconds\": " << timing.runSeconds
      << ",\n  \"tile_seconds\": " << stats.tileSeconds
      << ",\n  \"once_seconds\": " << stats.onceSeconds
      << ",\n  \"read_seconds\": " << stats.readSeconds
      << ",\n  \"write_seconds\": " << stats.writeSeconds
      << ",\n  \"predicted_stream_bytes\": " << p.streamBytes
      << ",\n  \"predicted_working_set_bytes\": " << p.workingSet()
      << ",\n  \"input_reads\": " << io.reads
      << ",\n  \"input_read_bytes\": " << io.readBytes
      << ",\n  \"input_prefetched\": " << io.prefetched
      << ",\n  \"input_synchronous\": " << io.synchronous
      << ",\n  \"output_writes\": " << io.writes
      << ",\n  \"output_written_bytes\": " << io.writtenBytes
      << ",\n  \"writer_busy_seconds\": " << io.writerBusySeconds
      << ",\n  \"writer_blocked_seconds\": " << io.writerBlockedSeconds
      << ",\n  \"resident_after_load_bytes\": " << timing.residentAfterLoad
      << ",\n  \"peak_resident_bytes\": " << peakResidentBytes();
  storedStats(out, program, stats);
  endStats(out, stats.counters, stats.opSeconds, file);
}

/// The images kept between stages, in bytes per input pixel (measured on a
/// 4096 x 4096 input: the plan knows no size), and whether each may go to
/// disk (--store): what a slide run will hold in memory or on scratch.
void printStoredValues(const Program &program) {
  plan::Stages stages = plan::planStages(program);
  std::cout << "stages: " << stages.stages.size() << "\n";
  constexpr int64_t edge = 4096;
  plan::StoragePlan storage;
  try {
    plan::Sizes sizes = plan::predictSizes(program, stages, {edge, edge});
    storage = plan::planStorage(program, stages, sizes,
                                plan::StorePolicy::Memory, 0, 0);
  } catch (const RuntimeError &) {
    std::cout << "stored between stages: unknown (the plan runs at its "
                 "declared input size only)\n";
    return;
  }
  std::cout << "stored between stages:";
  if (storage.values.empty())
    std::cout << " none";
  std::cout << "\n";
  for (const plan::StoredValue &v : storage.values) {
    char perPixel[32];
    std::snprintf(perPixel, sizeof perPixel, "%.2f",
                  double(v.bytes) / double(edge * edge));
    std::cout << "  " << program.values[v.value].name << ": " << perPixel
              << " bytes per input pixel, stages " << v.firstStage << "-"
              << v.lastStage << ", "
              << (v.mayGoToDisk ? "memory or disk" : "memory (read whole)")
              << "\n";
  }
  std::vector<plan::RecomputedValue> again = plan::recomputedValues(program);
  std::cout << "computed again where read, not stored:";
  if (again.empty())
    std::cout << " none";
  std::cout << "\n";
  for (const plan::RecomputedValue &r : again)
    std::cout << "  " << program.values[r.value].name << ": in stage "
              << r.stage << " (" << r.ops << " ops recomputed there)\n";
}

void printPlanInfo(const Model &model) {
  const PlanInfo &info = model.info();
  if (info.producer.empty()) {
    std::cout << "not a plan: an ONNX model compiled in memory\n";
    printStoredValues(model.program());
    return;
  }
  std::cout << "producer: " << info.producer << "\nsource: " << info.source
            << "\nsource_sha256: " << info.sourceSha256
            << "\ntarget: " << info.target
            << "\ntile: " << (info.tile.empty() ? "-" : info.tile)
            << "\nmemory_budget: "
            << (info.memoryBudget ? plan::formatBytes(info.memoryBudget) : "-")
            << "\ncreated: " << info.created << "\ninputs:";
  for (const std::string &name : model.inputNames())
    std::cout << " " << name;
  std::cout << "\noutputs:";
  for (const std::string &name : model.outputNames())
    std::cout << " " << name;
  std::cout << "\n";
  printStoredValues(model.program());
}

/// The defaults an AOT binary takes from its plan, and sstep-run's own.
CommandDefaults defaultsOf(const CommandSpec &spec) {
  CommandDefaults d;
  if (!spec.embedded)
    return d;
  const PlanInfo &info = spec.embedded->info();
  d.backend = info.target.empty() ? "cpu" : info.target;
  if (info.memoryBudget > 0) {
    d.tensorBudget = d.slideBudget = std::to_string(info.memoryBudget);
    d.tensorTile = "auto";
  }
  if (!info.tile.empty())
    d.tensorTile = d.slideTile = info.tile;
  return d;
}

SlideCall slideCall(const Args &args, const CommandSpec &spec,
                    const std::string &slide, const Model &model,
                    const std::string &backend, const CommandDefaults &defaults,
                    std::vector<std::pair<size_t, std::string>> files,
                    const std::string &cohort) {
  SlideCall call;
  call.args = &args;
  call.toolName = spec.name;
  call.slidePath = slide;
  call.model = &model;
  call.backend = backend;
  call.defaults = defaults;
  call.files = std::move(files);
  call.cohort = cohort;
  return call;
}

/// `--cohort MANIFEST -o OUTDIR`: every slide of the manifest, by the slide
/// side (RunCohort.h).
int runCohort(const Args &args, const std::vector<std::string> &positional,
              const CommandSpec &spec) {
  if (!spec.runSlide)
    throw UsageError("this build of " + spec.name +
                     " reads no slides, so runs no cohorts");
  if (positional.size() != 1 || args.has("input") || args.has("output"))
    throw UsageError(std::string("--cohort takes ") +
                     (spec.embedded ? "no INPUT" : "MODEL and no INPUT") +
                     ", --input or --output: -o names the output folder");
  if (!args.has("o"))
    throw UsageError("--cohort needs -o OUTDIR, the output folder");
  CommandDefaults defaults = defaultsOf(spec);
  std::string backendName = args.get("backend", defaults.backend);
  if (!hasBackend(backendName))
    throw UsageError("unknown backend '" + backendName +
                     "' (this build has: " + backendNames() + ")");
  Model loaded = spec.embedded ? Model(Program())
                               : spec.loadModel(positional[0], backendName);
  const Model &model = spec.embedded ? *spec.embedded : loaded;
  return spec.runSlide(slideCall(args, spec, "", model, backendName, defaults,
                                 {}, args.get("cohort")));
}

int run(const std::vector<std::string> &argv, const CommandSpec &spec) {
  Args args(
      argv, {"help", "tissue-mask", "quiet", "plan-info"},
      {"o",         "input",        "output",       "backend",
       "tile",      "tile-rows",    "threads",      "memory-budget",
       "store",     "scratch",      "stats",        "level",
       "normalize", "output-scale", "background",   "compression",
       "patches",   "patch-stride", "patch-layout", "min-tissue",
       "cohort",    "max-attempts", "mask",         "checkpoint-seconds"});
  if (args.has("help")) {
    std::cout << usageOf(spec);
    return 0;
  }
  // An AOT binary's arguments are sstep-run's without MODEL.
  std::vector<std::string> positional = args.positional();
  if (spec.embedded)
    positional.insert(positional.begin(), std::string());
  if (args.has("plan-info")) {
    if (positional.size() != 1 || args.has("o"))
      throw UsageError(spec.embedded ? "--plan-info takes no INPUT and no -o"
                                     : "--plan-info takes MODEL only");
    printPlanInfo(spec.embedded
                      ? *spec.embedded
                      : spec.loadModel(positional[0], args.get("backend", "")));
    return 0;
  }
  if (args.has("cohort"))
    return runCohort(args, positional, spec);
  // INPUT, or inputs named with --input.
  if (positional.empty() || positional.size() > 2 ||
      (positional.size() == 1 && !args.has("input")))
    throw UsageError(spec.embedded ? "expected INPUT (or --input NAME=FILE)"
                                   : "expected MODEL INPUT (or MODEL --input "
                                     "NAME=FILE)");
  CommandDefaults defaults = defaultsOf(spec);
  std::string backendName = args.get("backend", defaults.backend);
  int threads = threadsOf(args);
  if (!hasBackend(backendName))
    throw UsageError("unknown backend '" + backendName +
                     "' (this build has: " + backendNames() + ")");

  Timing timing;
  auto start = std::chrono::steady_clock::now();
  Model loaded = spec.embedded ? Model(Program())
                               : spec.loadModel(positional[0], backendName);
  const Model &model = spec.embedded ? *spec.embedded : loaded;
  const Program &program = model.program();
  auto files = outputFiles(args, program);
  if (positional.size() == 2 && isSlideInput(positional[1])) {
    if (!spec.runSlide)
      throw UsageError("this build of " + spec.name +
                       " reads no slides (it "
                       "was built without libtiff, OpenSlide and HDF5)");
    return spec.runSlide(slideCall(args, spec, positional[1], model,
                                   backendName, defaults, files, ""));
  }
  rejectSlideOptions(args);
  auto npy = openInputs(args, positional, program);
  RunOptions options;
  options.backend = backendName;
  options.threads = threads;
  const Shape &first = npy[0]->shape();
  // Tiles read ahead of need and write behind: buffers in the budget.
  plan::StreamModel stream = npyStreamModel(first.size() == 4 ? first[1] : 0);
  if (first.size() != 4 || !model.streamable(0))
    stream.readAhead = 0;
  if (std::none_of(files.begin(), files.end(), [&](const auto &f) {
        return streamsToFile(program, files, f.first, f.second);
      }))
    stream.writeQueue = 0;
  int64_t budget = 0;
  plan::TileShape tiles =
      tileShapeOf(args, model, first, backendName, defaults, stream, budget);
  options.tileEdge = tiles.edge;
  options.tileRows = tiles.rows;
  // With fixed tiles, the budget still decides where stored images live.
  options.memoryBudget = budget;
  parseStoreOptions(args, files.empty() ? "" : files.begin()->second, options);
  // Tiles read their windows from the file: a large image is never in
  // memory whole.
  std::vector<Tensor> inputs(npy.size());
  std::vector<std::unique_ptr<NpySource>> sources;
  for (size_t i = 0; i < npy.size(); ++i) {
    if (tiles.edge > 0 && npy[i]->shape().size() == 4 && model.streamable(i)) {
      sources.push_back(
          std::make_unique<NpySource>(*npy[i], size_t(stream.readAhead)));
      options.sources[i] = sources.back().get();
    } else {
      inputs[i] = npy[i]->readAll();
    }
  }
  // And write the blocks they own straight into an output file.
  std::vector<std::pair<int, std::string>> streamed;
  if (tiles.edge > 0)
    for (const auto &[index, file] : files)
      if (streamsToFile(program, files, index, file))
        streamed.push_back({program.outputs[index], file});
  if (!sources.empty() || !streamed.empty())
    options.stream = &stream;
  NpyResume resume = resumeNpyRun(spec.name, model, options, npy, streamed,
                                  first, checkpointSecondsOf(args));
  std::map<size_t, std::unique_ptr<NpySink>> sinks;
  if (tiles.edge > 0)
    for (const auto &[index, file] : files)
      if (streamsToFile(program, files, index, file)) {
        sinks[index] = std::make_unique<NpySink>(file, stream.writeQueue,
                                                 resume.checkpoints != nullptr,
                                                 resume.resuming);
        options.sinks[index] = sinks[index].get();
      }
  if (resume.checkpoints) {
    resume.checkpoints->beforeSave = [&sinks] {
      for (auto &[index, sink] : sinks)
        sink->sync();
    };
    options.checkpoints = resume.checkpoints.get();
  }
  options.progress = testAbortHook();
  timing.loadSeconds = secondsSince(start);
  timing.residentAfterLoad = residentBytes();
  // A GPU backend's device memory is the budget even with a fixed --tile.
  if (args.has("memory-budget")) {
    try {
      options.deviceMemory = plan::parseBytes(args.get("memory-budget"));
    } catch (const std::invalid_argument &e) {
      throw UsageError(std::string("--memory-budget: ") + e.what());
    }
  }
  exec::Stats stats;
  start = std::chrono::steady_clock::now();
  std::vector<Tensor> outputs = model.run(std::move(inputs), options,
                                          args.has("stats") ? &stats : nullptr);
  timing.runSeconds = secondsSince(start);
  if (args.has("stats"))
    writeStats(args.get("stats"), program, stats.predicted, stats, backendName,
               timing, countsOf(sources, sinks));
  for (const auto &[index, file] : files)
    if (!sinks.count(index))
      writeOutput(file, program.outputName(index), outputs[index]);
  if (resume.checkpoints)
    resume.checkpoints->remove();
  return 0;
}

} // namespace

int runCommand(int argc, char **argv, const CommandSpec &spec) {
  const std::string &name = spec.name;
  // A file size limit (ulimit -f) then fails the write, which names the
  // file, instead of killing the process with a core dump.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc), spec);
  } catch (const UsageError &e) {
    std::cerr << name << ": error: " << e.what() << "\n\n" << usageOf(spec);
    return 2;
  } catch (const BadModel &e) {
    std::cerr << name << ": error: " << e.what() << "\n";
    return 2;
  } catch (const RuntimeError &e) {
    std::cerr << name << ": error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception &e) {
    std::cerr << name << ": internal error: " << e.what() << "\n";
    return 1;
  }
}

} // namespace sstep
