//===- PlanBindings.cpp - sstep.Plan: load, compile, save and run ---------===//
//
// A Plan is a Model with one Session per (backend, threads) it has run on,
// so a second run reuses the backend, its packed weights and caches. Runs
// release the GIL. Inputs are read in place when the run is tiled
// (ArraySource); outputs are returned without a copy.
//
//===----------------------------------------------------------------------===//

#include "python/src/Arrays.h"
#include "python/src/Errors.h"
#include "python/src/Plan.h"
#include "runtime/api/Backends.h"
#include "runtime/api/Session.h"
#include "runtime/core/BufferPool.h"
#include "runtime/plan/MemoryPlan.h"

#ifdef SSTEP_HAVE_SLIDE
#include "runtime/api/Slide.h"
#include "runtime/core/Paths.h"
#include "tools/sstep-run/CompileInMemory.h"
#endif

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <cstdlib>
#include <dlfcn.h>
#include <malloc.h>
#include <map>
#include <memory>
#include <mutex>

namespace py = pybind11;

namespace sstep::python {
namespace {

py::list describe(const Program &program, const std::vector<int> &values,
                  bool outputs) {
  py::list list;
  for (size_t i = 0; i < values.size(); ++i) {
    py::dict d;
    d["name"] =
        outputs ? program.outputName(i) : program.values[values[i]].name;
    d["shape"] = shapeOf(program.values[values[i]].shape);
    list.append(d);
  }
  return list;
}

/// store= and scratch= into `options` (scratch None: the executor's).
void setStore(ExecutionOptions &options, const std::string &store,
              const py::object &scratch) {
  try {
    options.store = plan::parseStorePolicy(store);
  } catch (const std::invalid_argument &e) {
    throw py::value_error(std::string("store ") + e.what());
  }
  options.scratchFolder =
      scratch.is_none() ? "" : py::str(scratch).cast<std::string>();
}

/// Where the images stored between stages lived, into a stats dict.
void storedStats(py::dict &out, const Program &program,
                 const exec::Stats &stats) {
  out["stored_memory_peak_bytes"] = stats.storedPeakBytes;
  out["scratch_peak_bytes"] = stats.scratchPeakBytes;
  out["scratch_written_bytes"] = stats.scratchWritten;
  out["scratch_read_bytes"] = stats.scratchRead;
  py::list values;
  for (const plan::StoredValue &v : stats.storage.values) {
    py::dict d;
    d["name"] = program.values[v.value].name;
    d["bytes"] = v.bytes;
    d["stages"] = py::make_tuple(v.firstStage, v.lastStage);
    d["place"] = v.onDisk ? "disk" : "memory";
    values.append(d);
  }
  out["stored_values"] = values;
  py::list again;
  for (const plan::RecomputedValue &r : plan::recomputedValues(program)) {
    py::dict d;
    d["name"] = program.values[r.value].name;
    d["stage"] = r.stage;
    again.append(d);
  }
  out["recomputed_values"] = again;
}

py::object run(Plan &plan, const py::object &x, const std::string &backend,
               const py::object &tile, const py::object &budget,
               const py::object &threads, const py::object &statsOut,
               const py::object &normalize, const std::string &store,
               const py::object &scratch) {
  const Model &model = plan.model;
  const Program &program = model.program();
  RunOptions options = runOptions(
      backend, tile, budget.is_none() ? plan.memoryBudget : budget, threads);
  setStore(options, store, scratch);
  // Inputs by position, from one array or a dict by name.
  std::vector<py::object> views(program.inputs.size());
  if (py::isinstance<py::dict>(x)) {
    py::dict given = x.cast<py::dict>();
    for (size_t i = 0; i < views.size(); ++i) {
      std::string name = program.values[program.inputs[i]].name;
      if (!given.contains(name))
        throw RuntimeError("input '" + name + "' is not given");
      views[i] = viewOf(given[name.c_str()]);
    }
    if (py::len(given) != program.inputs.size())
      throw RuntimeError("the model takes " +
                         std::to_string(program.inputs.size()) +
                         " inputs, given " + std::to_string(py::len(given)));
  } else {
    if (program.inputs.size() != 1)
      throw RuntimeError("the model takes " +
                         std::to_string(program.inputs.size()) +
                         " inputs: give a dict by name");
    views[0] = viewOf(x);
  }
  Normalization normalization = normalizationOf(normalize, views);
  // 4-D inputs that only tiled nodes read are read in place from the
  // caller's buffer, a window at a time (the whole image when the run is
  // not tiled); the rest are copied. Bytes are normalized as they are read.
  std::vector<Tensor> inputs(views.size());
  std::vector<std::unique_ptr<exec::InputSource>> sources;
  std::vector<uintptr_t> readFrom(views.size(), 0);
  for (size_t i = 0; i < views.size(); ++i) {
    std::unique_ptr<exec::InputSource> source;
    if (isByteArray(views[i])) {
      auto bytes = std::make_unique<ByteArraySource>(
          ByteArray::ensure(views[i]), normalization);
      readFrom[i] = reinterpret_cast<uintptr_t>(bytes->data());
      source = std::move(bytes);
    } else {
      FloatArray array = FloatArray::ensure(views[i]);
      if (!array)
        throw py::type_error("input " + std::to_string(i) +
                             " is not convertible to a float32 array");
      if (array.ndim() != 4 || !model.streamable(i)) {
        inputs[i] = toTensor(array);
        continue;
      }
      auto floats = std::make_unique<ArraySource>(array);
      readFrom[i] = reinterpret_cast<uintptr_t>(floats->data());
      source = std::move(floats);
    }
    if (model.streamable(i)) {
      options.sources[i] = source.get();
      sources.push_back(std::move(source));
    } else {
      Shape shape = source->shape();
      inputs[i] = source->read(Region::whole({shape[2], shape[3]}));
      readFrom[i] = 0;
    }
  }
  {
    std::lock_guard<std::mutex> lock(plan.mutex);
    plan.readFrom = readFrom;
  }
  Plan::Held &held = plan.session(backend, options.threads);
  std::vector<Tensor> outputs;
  exec::Stats stats;
  {
    // The lock is taken without the GIL: a run waiting for another thread's
    // run of the same session must not hold up Python.
    py::gil_scoped_release unlocked;
    std::lock_guard<std::mutex> busy(held.busy);
    outputs = held.session.run(std::move(inputs), options,
                               statsOut.is_none() ? nullptr : &stats);
  }
  if (!statsOut.is_none()) {
    py::dict out = statsOut.cast<py::dict>();
    out["tiles"] = stats.tilesRun;
    out["tile_edge"] = stats.tiles.edge;
    out["tile_rows"] = stats.tiles.rows;
    out["predicted_tile_bytes"] = stats.predicted.tileBytes;
    out["measured_tile_bytes"] = stats.peakTileBytes;
    storedStats(out, program, stats);
  }
  if (outputs.size() == 1)
    return toArray(std::move(outputs[0]));
  py::dict named;
  for (size_t i = 0; i < outputs.size(); ++i)
    named[py::str(program.outputName(i))] = toArray(std::move(outputs[i]));
  return named;
}

#ifdef SSTEP_HAVE_SLIDE
/// A slide or patch job's backend, threads, tiles and budget from `o`; the
/// job's own budget (2 GiB) stays unless `o` sets one.
void setExecution(ExecutionOptions &job, const RunOptions &o) {
  job.backend = o.backend;
  job.threads = o.threads;
  job.tileEdge = o.tileEdge;
  if (o.memoryBudget > 0)
    job.memoryBudget = o.memoryBudget;
  job.store = o.store;
  job.scratchFolder = o.scratchFolder;
}

/// The per-tile (per-patch) hook of a slide job: calls `progress` with the
/// GIL held and stops the run by a Python exception, Ctrl-C's included.
std::function<void(int64_t, int64_t, double)>
progressHook(const py::object &progress) {
  return [&progress](int64_t done, int64_t total, double mps) {
    py::gil_scoped_acquire held;
    if (!progress.is_none())
      progress(done, total, mps);
    if (PyErr_CheckSignals() != 0)
      throw py::error_already_set();
  };
}

/// Plan.run_slide: the job `sstep-run PLAN SLIDE -o OUT` runs, with the GIL
/// released; `progress` is called with the GIL held, and a KeyboardInterrupt
/// (Ctrl-C) or an exception from it stops the run at that tile, which a
/// rerun resumes from.
py::dict runSlide(Plan &plan, const std::string &slidePath,
                  const py::object &out, int level, const std::string &backend,
                  const py::object &tile, const py::object &budget,
                  const py::object &threads, bool tissueMask,
                  const std::string &normalize, const py::object &progress,
                  const std::string &store, const py::object &scratch) {
  const Program &program = plan.model.program();
  RunOptions options = runOptions(
      backend, tile, budget.is_none() ? plan.memoryBudget : budget, threads);
  setStore(options, store, scratch);
  SlideJob job;
  setExecution(job, options);
  job.run.level = level;
  job.run.tissueMask = tissueMask;
  job.run.progress = false;
  try {
    job.run.normalization = pipeline::Normalization::parse(normalize);
  } catch (const std::invalid_argument &e) {
    throw py::value_error(std::string("normalize: ") + e.what());
  }
  if (py::isinstance<py::dict>(out)) {
    for (auto [name, path] : out.cast<py::dict>()) {
      std::string wanted = name.cast<std::string>();
      size_t index = 0;
      while (index < program.outputs.size() &&
             program.outputName(index) != wanted)
        ++index;
      if (index == program.outputs.size())
        throw RuntimeError("the model has no output '" + wanted + "'");
      job.run.outputs.push_back({index, py::str(path).cast<std::string>()});
    }
  } else {
    job.run.outputs.push_back({0, py::str(out).cast<std::string>()});
  }
  if (scratch.is_none() && !job.run.outputs.empty())
    job.scratchFolder = folderOf(job.run.outputs[0].path); // as sstep-run's
  job.run.onTile = progressHook(progress);
  pipeline::SlideRunReport report;
  {
    py::gil_scoped_release unlocked;
    report = runOnSlide(plan.model, slidePath, job);
  }
  py::dict stats;
  stats["level_size"] = py::make_tuple(report.level[0], report.level[1]);
  stats["tile_edge"] = report.tileEdge;
  stats["tile_rows"] = report.tileRows;
  stats["tiles_run"] = report.stats.tilesRun;
  stats["tiles_skipped"] = report.stats.tilesSkipped;
  stats["tiles_resumed"] = report.tilesResumed;
  stats["tiles_background"] = report.tilesBackground;
  stats["resumable"] = report.resumable;
  stats["seconds"] = report.seconds;
  stats["megapixels_per_second"] =
      report.seconds > 0 ? double(report.level[0]) * double(report.level[1]) /
                               1e6 / report.seconds
                         : 0.0;
  const plan::MemoryPrediction &predicted = report.stats.predicted;
  stats["predicted_tile_bytes"] = predicted.tileBytes;
  stats["measured_tile_bytes"] = report.stats.peakTileBytes;
  stats["weight_bytes"] = predicted.weightBytes;
  stats["predicted_stream_bytes"] = predicted.streamBytes;
  stats["predicted_finish_bytes"] = predicted.finishBytes;
  stats["predicted_peak_bytes"] = predicted.workingSet();
  storedStats(stats, program, report.stats);
  py::dict small;
  for (size_t i = 0; i < report.outputs.size(); ++i)
    if (!report.outputs[i].data.empty())
      small[py::str(program.outputName(i))] =
          toArray(std::move(report.outputs[i]));
  stats["outputs"] = small;
  return stats;
}

/// Plan.run_patches: `sstep-run PLAN SLIDE --patches=N -o OUT.h5`.
py::dict runPatches(Plan &plan, const std::string &slidePath,
                    const std::string &out, int64_t patch,
                    const py::object &stride, int level,
                    const std::string &backend, const py::object &tile,
                    const py::object &budget, const py::object &threads,
                    bool tissueMask, double minTissue,
                    const std::string &layout, const std::string &normalize,
                    const py::object &progress) {
  RunOptions options = runOptions(
      backend, tile, budget.is_none() ? plan.memoryBudget : budget, threads);
  if (patch <= 0 || (!stride.is_none() && stride.cast<int64_t>() <= 0))
    throw py::value_error("patch and stride must be positive");
  if (!(minTissue >= 0 && minTissue <= 1))
    throw py::value_error("min_tissue is a share from 0 to 1");
  PatchJob job;
  setExecution(job, options);
  job.run.level = level;
  job.run.size = patch;
  job.run.stride = stride.is_none() ? patch : stride.cast<int64_t>();
  job.run.tissueMask = tissueMask;
  job.run.minTissue = minTissue;
  job.run.progress = false;
  job.run.outputs.push_back({0, out});
  try {
    job.run.normalization = pipeline::Normalization::parse(normalize);
    job.run.layout = slide::parsePatchLayout(layout);
  } catch (const std::invalid_argument &e) {
    throw py::value_error(e.what());
  }
  job.run.onPatch = progressHook(progress);
  pipeline::PatchRunReport report;
  {
    py::gil_scoped_release unlocked;
    report = runPatchesOnSlide(plan.model, slidePath, job);
  }
  py::dict stats;
  stats["level_size"] = py::make_tuple(report.level[0], report.level[1]);
  stats["patches_in_grid"] = report.patchesInGrid;
  stats["patches"] = report.patches;
  stats["patches_run"] = report.patchesRun;
  stats["patches_resumed"] = report.patchesResumed;
  stats["tile_edge"] = report.tileEdge;
  stats["seconds"] = report.seconds;
  stats["row_shapes"] = report.rowShapes;
  return stats;
}
#endif

/// The in-memory compiler module (tools/sstep-run/CompileInMemory.cpp): it
/// links LLVM and MLIR, which `import sstep` should not map until a model is
/// compiled. In the build tree the package is python/sstep/ beside lib/; an
/// installation puts it in lib/python3/dist-packages/sstep/ under the prefix
/// whose lib/ holds the module (cmake/SSTEPInstall.cmake).
CompileInMemoryFn compiler() {
  static CompileInMemoryFn fn = [] {
    Dl_info self{};
    if (!::dladdr(reinterpret_cast<void *>(&compiler), &self) ||
        !self.dli_fname)
      throw ModelError("cannot find the sstep module's own file");
    std::string package(self.dli_fname);
    package = package.substr(0, package.rfind('/'));
    const char *file = "SStepCompileInMemory.so";
    std::string tried;
    for (const char *up : {"/../../lib/", "/../../../"}) {
      std::string path = package + up + file;
      if (void *module = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
        if (void *adopt = ::dlsym(module, "sstepAdoptBufferPool"))
          reinterpret_cast<void (*)(BufferPool *)>(adopt)(
              &BufferPool::process());
        if (void *symbol = ::dlsym(module, "sstepCompileInMemory"))
          return reinterpret_cast<CompileInMemoryFn>(symbol);
      }
      const char *why = ::dlerror();
      tried += (tried.empty() ? "" : "; ") + path + ": " +
               (why ? why : "no sstepCompileInMemory");
    }
    throw ModelError("this sstep cannot compile ONNX models (" + tried +
                     "); load a plan written by sstep-compile instead");
  }();
  return fn;
}

std::unique_ptr<Plan> compileOnnx(const std::string &path,
                                  const std::string &target,
                                  const std::string &precision,
                                  const std::string &recompute) {
  if (!hasBackend(target))
    throw RuntimeError("unknown target '" + target +
                       "' (this build has: " + backendNames() + ")");
  CompileInMemoryFn compile = compiler();
  InMemoryCompileOptions options;
  options.backend = target;
  options.precision = precision;
  options.recompute = recompute;
  Program program;
  std::string error;
  bool ok = false;
  {
    py::gil_scoped_release unlocked;
    ok = compile(path, options, &program, &error);
  }
  if (!ok)
    throw ModelError(error);
  PlanInfo info;
  info.producer = "sstep (Python)";
  info.source = path;
  info.target = target;
  return std::make_unique<Plan>(Model(std::move(program), std::move(info)));
}

std::unique_ptr<Plan> load(const std::string &path) {
  try {
    return std::make_unique<Plan>(Model::load(path));
  } catch (const RuntimeError &e) {
    throw ModelError(e.what());
  }
}

} // namespace

void registerPlan(py::module_ &m) {
  py::class_<Plan> plan(m, "Plan",
                        "A compiled model: run it on arrays, save it as a plan "
                        "file. Made by sstep.compile and sstep.load.");
  plan.def_property_readonly(
          "inputs",
          [](const Plan &p) {
            return describe(p.model.program(), p.model.program().inputs, false);
          },
          "The inputs: a list of {'name', 'shape'}, None for sizes given "
          "at run time.")
      .def_property_readonly(
          "outputs",
          [](const Plan &p) {
            return describe(p.model.program(), p.model.program().outputs, true);
          },
          "The outputs: a list of {'name', 'shape'}.")
      .def_property_readonly(
          "target", [](const Plan &p) { return p.model.info().target; },
          "The backend the plan was compiled for.")
      .def_property_readonly(
          "precision",
          [](const Plan &p) {
            const std::string &precision = p.model.program().kernels.precision;
            return precision.empty() ? std::string("fp32") : precision;
          },
          "The storage type of its blocks: 'fp32', or the cuda target's "
          "'fp16' or 'bf16'.")
      .def_property(
          "memory_budget", [](const Plan &p) { return p.memoryBudget; },
          [](Plan &p, py::object budget) { p.memoryBudget = budget; },
          "run()'s memory_budget when none is given (bytes, '512MiB', or "
          "None: the whole image).")
      .def_property_readonly(
          "_read_from",
          [](Plan &p) {
            std::lock_guard<std::mutex> lock(p.mutex);
            return p.readFrom;
          },
          "The addresses the last run read its inputs from (0: copied).")
      .def(
          "save",
          [](const Plan &p, const std::string &path) {
            PlanInfo info = p.model.info();
            if (info.producer.empty())
              info.producer = "sstep (Python)";
            writePlan(path, p.program(), info);
          },
          py::arg("path"),
          "Writes the plan to `path` (sstep-run and sstep.load read it).")
      .def("run", &run, py::arg("x"), py::kw_only(), py::arg("backend") = "cpu",
           py::arg("tile") = "auto", py::arg("memory_budget") = py::none(),
           py::arg("threads") = py::none(), py::arg("stats") = py::none(),
           py::arg("normalize") = py::none(), py::arg("store") = "auto",
           py::arg("scratch") = py::none(),
           "Runs the model on `x`, an NCHW float32 or uint8 array (or a dict "
           "of them by input name); returns an array (a dict by output name "
           "for several outputs). normalize: how uint8 pixels become values "
           "('none': x / 255, the default; 'imagenet'; 'M,M,M/S,S,S'), one "
           "window at a time. tile: 'auto' (tiles that fit memory_budget, "
           "else the whole image), 'none', or an edge in pixels. "
           "memory_budget: bytes or a size such as '512MiB'. Tiled or whole, "
           "the result equals the whole-image result. store: where images "
           "kept between stages live, 'auto' (on disk when memory_budget "
           "cannot hold them beside the tiles), 'memory' or 'disk'; scratch: "
           "the folder of those on disk (default $TMPDIR, else /tmp). stats: "
           "a dict to fill with what ran (tiles, tile_edge, tile_rows, "
           "predicted_tile_bytes, measured_tile_bytes, stored_values, "
           "stored_memory_peak_bytes, scratch_peak_bytes...).");
#ifdef SSTEP_HAVE_SLIDE
  plan.def("run_slide", &runSlide, py::arg("slide"), py::arg("out"),
           py::kw_only(), py::arg("level") = 0, py::arg("backend") = "cpu",
           py::arg("tile") = "auto", py::arg("memory_budget") = py::none(),
           py::arg("threads") = py::none(), py::arg("tissue_mask") = false,
           py::arg("normalize") = "imagenet", py::arg("progress") = py::none(),
           py::arg("store") = "auto", py::arg("scratch") = py::none(),
           "Runs the model over level `level` of the slide at `slide`, tile "
           "by tile in bounded memory (2 GiB unless memory_budget says), "
           "writing output 0 to `out` (or a dict of output name to path): "
           ".tif (pyramidal TIFF), .h5, .npy or .json by extension, as "
           "sstep-run does. progress(tiles_done, tiles_total, mp_per_s) is "
           "called after each tile; Ctrl-C stops at the next tile and a "
           "rerun resumes. store and scratch: as Plan.run's (scratch by "
           "default the first output's folder). Returns the run's "
           "statistics.");
  plan.def("run_patches", &runPatches, py::arg("slide"), py::arg("out"),
           py::arg("patch"), py::kw_only(), py::arg("stride") = py::none(),
           py::arg("level") = 0, py::arg("backend") = "cpu",
           py::arg("tile") = "auto", py::arg("memory_budget") = py::none(),
           py::arg("threads") = py::none(), py::arg("tissue_mask") = false,
           py::arg("min_tissue") = 0.0, py::arg("layout") = "table",
           py::arg("normalize") = "imagenet", py::arg("progress") = py::none(),
           "Runs the model on each whole patch x patch patch of level "
           "`level`, `stride` apart (default: patch), alone, and writes one "
           "row per patch to the HDF5 file `out` (layout 'table' or "
           "'groups', with coordinates; CLAM reads it), as sstep-run "
           "--patches does. tissue_mask keeps patches with tissue (at least "
           "min_tissue of them). progress(done, total, mp_per_s) after each "
           "patch; Ctrl-C stops and a rerun resumes. Returns the run's "
           "statistics.");
#endif
  registerTrain(plan);
  m.def("load", &load, py::arg("path"),
        "Opens a plan file (sstep-compile's) or an inference binary "
        "(sstep-compile --emit=exe).");
  m.def("_compile_onnx", &compileOnnx, py::arg("path"),
        py::arg("target") = "cpu", py::arg("precision") = "fp32",
        py::arg("recompute") = "auto");
  m.def(
      "_return_free_memory",
      [] {
        ::malloc_trim(0);
        return BufferPool::process().returnFreePages();
      },
      "Gives the pages of freed heap memory and of the buffer pool's free "
      "ranges back to the system; for after a phase that will not recur "
      "(StreamingModule's set-up).");
  m.def(
      "_keep_heap_small",
      [] {
        if (std::getenv("MALLOC_MMAP_THRESHOLD_"))
          return false; // the user's setting stands
        // glibc raises its mmap threshold to the size of each large block
        // freed (up to 32 MiB), so a phase that frees large blocks (ONNX's
        // export of a model) leaves a heap of free ranges that later small
        // allocations spread over and keep resident: 150 MiB beside a
        // ResNet-34's training step. A threshold set once stays put.
        return ::mallopt(M_MMAP_THRESHOLD, 128 * 1024) == 1;
      },
      "Fixes glibc's mmap threshold at its default (128 KiB) unless "
      "MALLOC_MMAP_THRESHOLD_ is set, so freed large blocks go back to the "
      "system; returns whether it did. StreamingModule calls it.");
  m.def(
      "_pool_bytes",
      [] {
        BufferPool &pool = BufferPool::process();
        py::dict bytes;
        bytes["in_use"] = pool.inUse();
        bytes["resident"] = pool.residentBytes();
        bytes["resident_peak"] = pool.residentPeak();
        return bytes;
      },
      "The process's buffer pool (every large tensor's memory): bytes in "
      "use, resident (in use or free) and the most resident so far; for "
      "telling SSTEP's share of a process's memory from the rest.");
  m.def(
      "backends",
      [] {
        py::list names;
        for (const BackendInfo &b : backends())
          names.append(b.name);
        return names;
      },
      "The backends this build has.");
}

} // namespace sstep::python
