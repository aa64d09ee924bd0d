//===- sstep-run.cpp - Runs a model on an image or tensor -----------------===//
//
// sstep-run MODEL INPUT -o OUTPUT [--backend=reference]
//           [--tile=none|auto|N] [--memory-budget=SIZE] [--stats=FILE]
//           [--input NAME=FILE ...] [--output NAME=FILE ...] [--threads=N]
//
// MODEL is an ONNX model (compiled in memory). INPUT and OUTPUT are .npy
// (NCHW float32); an output may also be .json. An INPUT that is not .npy is a
// slide, run tiled by RunSlide.cpp. Exit codes: 0 success, 2 bad input
// (named in the message), 1 internal error.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/Npy.h"
#include "runtime/core/ProcessMemory.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/plan/MemoryPlan.h"
#include "runtime/plan/Stages.h"
#include "runtime/reference/Interpreter.h"
#include "runtime/reference/ReferenceBackend.h"
#include "tools/common/Args.h"
#include "tools/sstep-run/Backends.h"
#include "tools/sstep-run/LoadProgram.h"
#include "tools/sstep-run/RunSlide.h"
#include "tools/sstep-run/TileOptions.h"
#include "tools/sstep-run/WriteOutput.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <malloc.h>

using namespace sstep;
using sstep::tool::Args;
using sstep::tool::UsageError;

namespace {

const char *kUsage =
    "usage: sstep-run MODEL INPUT -o OUTPUT [options]\n"
    "       sstep-run MODEL --input NAME=FILE ... --output NAME=FILE ...\n"
    "\n"
    "Runs MODEL (a plan from sstep-compile, .onnx or ONNX text) on INPUT\n"
    "(.npy, NCHW float32, or a slide) and writes OUTPUT (.npy, or .json\n"
    "for small tensors; slides also .tif and .h5).\n"
    "\n"
    "options:\n"
    "  -o FILE                 the output of a single-output model\n"
    "  --input NAME=FILE       an input by name (repeatable)\n"
    "  --output NAME=FILE      an output by name (repeatable)\n"
    "  --backend=NAME          reference (plain loops, the oracle; the\n"
    "                          default) or cpu (oneDNN, all cores)\n"
    "  --tile=none|auto|N      whole-image execution (none, the default),\n"
    "                          or tiles of N input pixels, or the largest\n"
    "                          tiles that fit --memory-budget (auto)\n"
    "  --memory-budget=SIZE    working-set budget for --tile=auto, such as\n"
    "                          512MiB (default 4GiB)\n"
    "  --stats=FILE            write the tiling, the predicted and the\n"
    "                          measured working set as JSON\n"
    "  --threads=N             worker threads (default: all cores)\n"
    "\n"
    "       sstep-run MODEL SLIDE -o OUT.tif|OUT.h5|OUT.npy|OUT.json "
    "[options]\n"
    "\n"
    "Runs MODEL tiled over a level of SLIDE (.tif, .svs, .ndpi, .mrxs, ...:\n"
    "any INPUT but .npy) in bounded memory; resumes after a crash. Tiles are\n"
    "auto by default: 1024 to 4096 pixels as the halo needs, within\n"
    "--memory-budget (default 2GiB).\n"
    "  --level=L               the slide level (default 0)\n"
    "  --normalize=none|imagenet|M,M,M/S,S,S\n"
    "                          input = (rgb/255 - M) / S (default imagenet)\n"
    "  --output-scale=A        uint8 TIFF samples: value*A clamped to 0..255\n"
    "                          (default: float32 samples)\n"
    "  --compression=deflate|zstd|lzw|none|jpeg   TIFF tiles (default "
    "deflate)\n"
    "  --tissue-mask           skip tiles without tissue\n"
    "  --background=V          the output of skipped tiles (default 0)\n"
    "  --quiet                 no progress on stderr\n";

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

std::vector<Tensor> readInputs(const Args &args, const Program &program) {
  std::vector<Tensor> inputs(program.inputs.size());
  std::vector<bool> given(program.inputs.size(), false);
  const auto &positional = args.positional();
  if (positional.size() > 1) {
    if (program.inputs.size() != 1)
      throw UsageError("the model has " +
                       std::to_string(program.inputs.size()) +
                       " inputs: name each with --input NAME=FILE");
    inputs[0] = readNpy(positional[1]);
    given[0] = true;
  }
  for (const std::string &binding : args.getAll("input")) {
    auto [name, file] = splitBinding(binding, "--input");
    std::vector<std::string> names;
    for (int id : program.inputs)
      names.push_back(program.values[id].name);
    size_t i = findByName(names, name, "input");
    inputs[i] = readNpy(file);
    given[i] = true;
  }
  for (size_t i = 0; i < given.size(); ++i)
    if (!given[i])
      throw UsageError("no tensor given for input '" +
                       program.values[program.inputs[i]].name + "'");
  return inputs;
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
  return files;
}

/// The tile edge --tile and --memory-budget ask for: 0 for none.
int64_t tileEdgeOf(const Args &args, const Program &program,
                   const std::vector<Tensor> &inputs,
                   const plan::Stages &stages) {
  TileRequest request = parseTileRequest(
      args, args.has("memory-budget") ? "auto" : "none", "4GiB");
  if (!request.automatic)
    return request.edge;
  const Tensor &input = inputs[0];
  if (input.rank() != 4)
    throw UsageError("--tile=auto needs an NCHW image as the first input");
  return plan::chooseTileEdge(program, stages, {input.dim(2), input.dim(3)},
                              request.budget);
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

void writeStats(const std::string &file, const plan::MemoryPrediction &p,
                const exec::Stats &stats, const exec::Backend &backend,
                const Timing &timing) {
  std::ofstream out(file);
  out << "{\n  \"tile_edge\": " << p.tileEdge << ",\n  \"grids\": [";
  for (size_t i = 0; i < stats.grids.size(); ++i)
    out << (i ? ", " : "") << "[" << stats.grids[i][0] << ", "
        << stats.grids[i][1] << "]";
  out << "],\n  \"tiles_run\": " << stats.tilesRun
      << ",\n  \"predicted_tile_bytes\": " << p.tileBytes
      << ",\n  \"measured_tile_bytes\": " << stats.peakTileBytes
      << ",\n  \"weight_bytes\": " << p.weightBytes
      << ",\n  \"stored_bytes\": " << p.storedBytes << ",\n  \"backend\": \""
      << backend.name() << "\""
      << ",\n  \"load_seconds\": " << timing.loadSeconds
      << ",\n  \"run_seconds\": " << timing.runSeconds
      << ",\n  \"tile_seconds\": " << stats.tileSeconds
      << ",\n  \"once_seconds\": " << stats.onceSeconds
      << ",\n  \"resident_after_load_bytes\": " << timing.residentAfterLoad
      << ",\n  \"peak_resident_bytes\": " << peakResidentBytes();
  for (const auto &[name, value] : backend.counters())
    out << ",\n  \"" << name << "\": " << value;
  out << "\n}\n";
  if (!out)
    throw RuntimeError("cannot write stats to '" + file + "'");
}

int run(const std::vector<std::string> &argv) {
  Args args(argv, {"help", "tissue-mask", "quiet"},
            {"o", "input", "output", "backend", "tile", "threads",
             "memory-budget", "stats", "level", "normalize", "output-scale",
             "background", "compression"});
  if (args.has("help")) {
    std::cout << kUsage;
    return 0;
  }
  if (args.positional().empty() || args.positional().size() > 2)
    throw UsageError("expected MODEL [INPUT]");
  std::string backendName = args.get("backend", "reference");
  int threads =
      args.has("threads")
          ? static_cast<int>(tool::parseInt("--threads", args.get("threads")))
          : 0;
  std::unique_ptr<exec::Backend> backend = makeBackend(backendName, threads);
  if (!backend)
    throw UsageError("unknown backend '" + backendName +
                     "' (this build has: " + backendNames() + ")");

  Timing timing;
  auto start = std::chrono::steady_clock::now();
  Program program = loadProgram(args.positional()[0]);
  auto files = outputFiles(args, program);
  if (isSlideInput(args))
    return runSlide(args, program, *backend, backendName, files);
  rejectSlideOptions(args);
  std::vector<Tensor> inputs = readInputs(args, program);
  timing.loadSeconds = secondsSince(start);
  timing.residentAfterLoad = residentBytes();
  plan::Stages stages = plan::planStages(program);
  int64_t edge = tileEdgeOf(args, program, inputs, stages);
  std::vector<Tensor> outputs;
  if (edge == 0 && backendName == "reference" && !args.has("stats")) {
    // The oracle's whole-image interpreter: no partitioning involved.
    outputs = reference::run(program, std::move(inputs));
  } else {
    plan::MemoryPrediction predicted;
    if (inputs[0].rank() == 4)
      predicted = plan::predictMemory(
          program, stages, {inputs[0].dim(2), inputs[0].dim(3)}, edge);
    exec::Stats stats;
    exec::Options options;
    options.tileEdge = edge;
    start = std::chrono::steady_clock::now();
    outputs =
        exec::execute(program, *backend, std::move(inputs), options, &stats);
    timing.runSeconds = secondsSince(start);
    if (args.has("stats"))
      writeStats(args.get("stats"), predicted, stats, *backend, timing);
  }
  for (const auto &[index, file] : files)
    writeOutput(file, program.outputName(index), outputs[index]);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  // Tiles allocate and free blocks of tens of megabytes over and over. With
  // glibc's default, the mmap threshold climbs past them after the first
  // free and the blocks then fragment the heap, so the resident set grows to
  // several times the working set; a fixed threshold keeps each block
  // mapped and returned whole (ResNet-50 at 2048², 512-pixel tiles: peak
  // RSS 918 -> 530 MiB).
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError &e) {
    std::cerr << "sstep-run: error: " << e.what() << "\n\n" << kUsage;
    return 2;
  } catch (const BadModel &e) {
    std::cerr << "sstep-run: error: " << e.what() << "\n";
    return 2;
  } catch (const RuntimeError &e) {
    std::cerr << "sstep-run: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception &e) {
    std::cerr << "sstep-run: internal error: " << e.what() << "\n";
    return 1;
  }
}
