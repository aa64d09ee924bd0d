//===- TrainBindings.cpp - sstep.Plan's weights and backward pass ---------===//
//
// What sstep.torch.StreamingModule builds on: the plan's weights by name,
// replaced before each step, and the tiled backward pass (train/Backward.h)
// returning the input's gradient and every weight's.
//
//===----------------------------------------------------------------------===//

#include "python/src/Arrays.h"
#include "python/src/Errors.h"
#include "python/src/Plan.h"
#include "runtime/core/BufferPool.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/plan/MemoryPlan.h"
#include "runtime/reference/Kernels.h"
#include "runtime/train/Backward.h"
#include "runtime/train/BackwardPlan.h"

#include <pybind11/stl.h>

#include <algorithm>
#include <cstdlib>

namespace py = pybind11;

namespace sstep::python {
namespace {

py::dict weightShapes(const Plan &plan) {
  py::dict shapes;
  const Program &program = plan.model.program();
  for (const auto &[name, v] : namedWeights(program))
    shapes[py::str(name)] = shapeOf(program.constants.shape(v));
  return shapes;
}

py::dict getWeights(const Plan &plan) {
  py::dict values;
  Program program = plan.program();
  for (const auto &[name, v] : namedWeights(program))
    values[py::str(name)] = toArray(program.constants.get(v));
  return values;
}

void setWeights(Plan &plan, const py::dict &given) {
  std::map<std::string, Tensor> weights;
  for (auto [name, value] : given) {
    FloatArray array = FloatArray::ensure(viewOf(value));
    if (!array)
      throw py::type_error("weight '" + name.cast<std::string>() +
                           "' is not convertible to a float32 array");
    weights[name.cast<std::string>()] = toTensor(array);
  }
  plan.setWeights(std::move(weights));
}

/// A writable array over weight `name`'s memory in the plan, keeping it
/// alive. Its writes reach every later run: the caller writes only between
/// runs (the plan's kernels read the tensor as const while they run).
py::array_t<float> shareWeight(Plan &plan, const std::string &name) {
  auto *owner = new std::shared_ptr<const Tensor>(plan.shareWeight(name));
  py::capsule base(owner, [](void *p) {
    delete static_cast<std::shared_ptr<const Tensor> *>(p);
  });
  const Tensor &t = **owner;
  std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
  return py::array_t<float>(shape, const_cast<float *>(t.data.data()), base);
}

/// Between a training step's forward pass and its backward pass: the
/// packed weights (the next forward packs the updated ones anew) and the
/// pages of the forward tiles' kept rows, at the top of the pool, which the
/// backward pass's blocks, from the bottom, would not reuse.
void releaseForwardMemory(Plan &plan) {
  plan.releaseDerivedWeights();
  BufferPool::process().returnLastingPages();
}

/// A constant's name for its gradient: its own, else "%<value id>".
std::string nameOf(const Program &program, int v) {
  const std::string &name = program.values[v].name;
  return name.empty() ? "%" + std::to_string(v) : name;
}

py::dict backward(Plan &plan, const py::object &x, const py::object &dy,
                  const std::string &backend, const py::object &tile,
                  const py::object &budget, const py::object &threads,
                  bool inputGrad, const py::object &normalize,
                  const py::object &segments, const py::object &scratch) {
  RunOptions options = runOptions(
      backend, tile, budget.is_none() ? plan.memoryBudget : budget, threads);
  // The image is read a window at a time from the caller's buffer; bytes
  // are normalized as they are read.
  py::object view = viewOf(x);
  Normalization normalization = normalizationOf(normalize, {view});
  std::unique_ptr<exec::InputSource> in;
  if (isByteArray(view)) {
    if (inputGrad)
      throw py::value_error("a uint8 image has no gradient: pass "
                            "input_grad=False");
    in = std::make_unique<ByteArraySource>(ByteArray::ensure(view),
                                           normalization);
  } else {
    FloatArray input = FloatArray::ensure(view);
    if (!input)
      throw py::type_error("x must be a float32 or uint8 array");
    if (input.ndim() != 4)
      throw py::value_error("x must be an NCHW array");
    in = std::make_unique<ArraySource>(input);
  }
  FloatArray grad = FloatArray::ensure(viewOf(dy));
  if (!grad)
    throw py::type_error("grad_output must be a float32 array");
  train::GradKernels &kernels = plan.gradKernels(backend, options.threads);
  Plan::Held &held = plan.session(backend, options.threads);
  const Program &program = held.session.model().program();
  train::BackwardOptions backwardOptions;
  backwardOptions.inputGradient = inputGrad;
  backwardOptions.kernels = &kernels;
  Shape inputShape = in->shape();
  int given = segments.is_none() ? 0 : segments.cast<int>();
  if (!segments.is_none() && given < 1)
    throw py::value_error("segments must be at least 1");
  backwardOptions.segments = std::max(given, 1);
  // Images crossing stages (a trunk with reductions inside): in scratch
  // files when asked, or when they would take over half the budget; else
  // in memory, out of the tiles' budget.
  const int64_t storedBytes = train::predictStoredBytes(program, inputShape);
  std::string folder = scratch.is_none() ? "" : scratch.cast<std::string>();
  int64_t tileBudget = options.memoryBudget;
  if (folder.empty() && options.memoryBudget > 0 &&
      storedBytes > options.memoryBudget / 2) {
    const char *tmp = std::getenv("TMPDIR");
    folder = tmp && *tmp ? tmp : "/tmp";
  }
  if (folder.empty())
    tileBudget -= storedBytes;
  backwardOptions.scratchFolder = folder;
  if (options.tileEdge > 0) {
    backwardOptions.tiles = {options.tileEdge, 0};
  } else if (options.memoryBudget > 0) {
    // Tiles for the budget, and the segments unless given.
    if (tileBudget <= 0)
      throw BudgetError("the images kept between stages need " +
                        plan::formatBytes(storedBytes) + " of the " +
                        plan::formatBytes(options.memoryBudget) +
                        " budget: give a scratch folder");
    train::BackwardTiling chosen = train::chooseBackwardTiles(
        program, inputShape, tileBudget, inputGrad, given);
    backwardOptions.tiles = chosen.tiles;
    backwardOptions.segments = chosen.segments;
  }
  int64_t predicted =
      train::predictBackwardBytes(program, inputShape, backwardOptions.tiles,
                                  inputGrad, backwardOptions.segments);
  if (grad.ndim() != 4)
    throw RuntimeError(
        "the output gradient has shape " +
        formatShape(Shape(grad.shape(), grad.shape() + grad.ndim())) +
        ", not an NCHW image's");
  // Read an owned block at a time, as x is: no copy of it is made.
  ArraySource out(grad);
  train::Gradients grads;
  BufferPool &pool = BufferPool::process();
  size_t poolBase = pool.inUse();
  pool.resetPeak();
  {
    py::gil_scoped_release unlocked;
    std::lock_guard<std::mutex> busy(held.busy);
    grads = train::backward(program, *in, out, backwardOptions);
  }
  py::dict result, weights, stats;
  result["input"] = inputGrad ? py::object(toArray(std::move(grads.input)))
                              : py::object(py::none());
  for (auto &[v, g] : grads.constants)
    weights[py::str(nameOf(program, v))] = toArray(std::move(g));
  result["weights"] = weights;
  stats["tiles"] = grads.stats.tiles;
  stats["tiles_skipped"] = grads.stats.tilesSkipped;
  stats["peak_tile_bytes"] = grads.stats.peakTileBytes;
  stats["predicted_tile_bytes"] = predicted;
  stats["tile_edge"] = backwardOptions.tiles.edge;
  stats["segments"] = grads.stats.segments;
  stats["stages"] = grads.stats.stages;
  stats["stored_peak_bytes"] = grads.stats.storedPeakBytes;
  stats["predicted_stored_bytes"] = storedBytes;
  stats["scratch_folder"] =
      folder.empty() ? py::object(py::none()) : py::object(py::str(folder));
  stats["scratch_peak_bytes"] = grads.stats.scratchPeakBytes;
  stats["scratch_written_bytes"] = grads.stats.scratchWritten;
  stats["scratch_read_bytes"] = grads.stats.scratchRead;
  // Every tensor's memory: what was in use before the call (weights,
  // images, the forward pass's output) and the most in use during it.
  stats["pool_base_bytes"] = poolBase;
  stats["pool_peak_bytes"] = pool.peak();
  // Its pages, in use or free: above the peak in use where placement
  // leaves holes no block fits.
  stats["pool_resident_peak_bytes"] = pool.residentPeak();
  py::dict seconds, forward, vjp;
  for (const auto &[op, t] : grads.stats.forwardSeconds)
    forward[py::str(op)] = t;
  for (const auto &[op, t] : grads.stats.vjpSeconds)
    vjp[py::str(op)] = t;
  seconds["forward"] = forward;
  seconds["vjp"] = vjp;
  seconds["other"] = grads.stats.otherSeconds;
  stats["seconds"] = seconds;
  for (const auto &[name, count] : kernels.counters())
    stats[py::str(name)] = count;
  result["stats"] = stats;
  return result;
}

} // namespace

void registerTrain(py::class_<Plan> &plan) {
  plan.def_property_readonly(
          "weights", &weightShapes,
          "The weights set_weights can replace: a dict of name to shape.")
      .def("get_weights", &getWeights,
           "The weights' values: a dict of name to a copy of each.")
      .def("set_weights", &setWeights, py::arg("weights"),
           "Replaces weights by name ({name: array}) for every later run, "
           "backward pass and save. Raises sstep.Error naming an unknown "
           "weight or a wrong shape, before replacing any.")
      .def("_share_weight", &shareWeight, py::arg("name"),
           "A writable array over the plan's weight `name` (StreamingModule "
           "makes it its parameter's memory); written only between runs.")
      .def("_weight_addresses", &Plan::weightAddresses, py::arg("names"),
           "Where each of the weights `names` starts: {name: address}.")
      .def("_weights_rewritten", &Plan::rewroteWeights, py::arg("names"),
           "Says that weights shared with _share_weight were written in "
           "place: what was derived from their old values goes.")
      .def("_release_forward_memory", &releaseForwardMemory,
           py::call_guard<py::gil_scoped_release>(),
           "Frees what a forward pass keeps for the next run (the backends' "
           "packed weights, the pool's pages of rows kept between tiles), "
           "for StreamingModule's backward pass in between.")
      .def("backward", &backward, py::arg("x"), py::arg("grad_output"),
           py::kw_only(), py::arg("backend") = "cpu", py::arg("tile") = "auto",
           py::arg("memory_budget") = py::none(),
           py::arg("threads") = py::none(), py::arg("input_grad") = true,
           py::arg("normalize") = py::none(), py::arg("segments") = py::none(),
           py::arg("scratch") = py::none(),
           "The gradients of sum(grad_output * model(x)), tile by tile (x: "
           "float32, or uint8 normalized a window at a time as Plan.run "
           "does, without input_grad): tile "
           "an edge, 'none', or 'auto' (the largest square tiles whose "
           "backward pass the planner predicts to fit memory_budget, else "
           "the whole image), on "
           "the backend's gradient kernels ('cpu': oneDNN's convolutions; "
           "'reference': the oracle), "
           "equal to whole-image autograd. Returns {'input': dL/dx or None, "
           "'weights': {name: dL/dw}, 'stats': {...}}. segments: checkpoint "
           "segments (each but the last recomputed before its VJPs, so a "
           "tile holds less); None: 1, or the planner's choice with "
           "memory_budget. scratch: a folder for the images a trunk with "
           "reductions inside (squeeze-and-excitation, GroupNorm) keeps "
           "between its stages; None: memory, or $TMPDIR when they would "
           "take over half of memory_budget. The model must be a trunk "
           "of local ops and means over the image, with one image input "
           "and output; anything else raises sstep.ModelError naming the "
           "node.");
}

} // namespace sstep::python
