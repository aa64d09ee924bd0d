//===- Plan.cpp - sstep.Plan: a model and its live sessions ---------------===//

#include "python/src/Plan.h"
#include "runtime/core/BufferPool.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/plan/MemoryPlan.h"

#include <stdexcept>

namespace py = pybind11;

namespace sstep::python {

Plan::Held &Plan::session(const std::string &backend, int threads) {
  std::lock_guard<std::mutex> lock(mutex);
  auto key = std::make_pair(backend, threads);
  auto it = sessions.find(key);
  if (it == sessions.end()) {
    auto held = std::unique_ptr<Held>(
        new Held{Session(model, {backend, threads, 0}), {}});
    it = sessions.emplace(key, std::move(held)).first;
  }
  return *it->second;
}

void Plan::setWeights(std::map<std::string, Tensor> given) {
  SharedWeights shared;
  for (auto &[name, tensor] : given)
    shared[name] = std::make_shared<const Tensor>(std::move(tensor));
  setWeights(shared);
}

std::shared_ptr<const Tensor> Plan::shareWeight(const std::string &name) {
  std::shared_ptr<const Tensor> current = weightsNamed({name}).at(name);
  std::shared_ptr<const Tensor> shared;
  {
    // A tensor of its own, not one a plan file's reader or another weight
    // may also hold; it outlives every tile, so it is placed apart from
    // their blocks.
    BufferPool::LifetimeScope lasting(BufferPool::Lifetime::Lasting);
    shared = std::make_shared<const Tensor>(*current);
  }
  setWeights({{name, shared}});
  return shared;
}

SharedWeights Plan::weightsNamed(const std::vector<std::string> &names) {
  std::lock_guard<std::mutex> lock(mutex);
  const Program &program = model.program();
  std::map<std::string, int> named = namedWeights(program);
  SharedWeights found;
  for (const std::string &name : names) {
    auto it = named.find(name);
    if (it == named.end())
      throw RuntimeError("the plan has no weight '" + name + "'");
    found[name] = program.constants.read(it->second);
  }
  return found;
}

std::map<std::string, uintptr_t>
Plan::weightAddresses(const std::vector<std::string> &names) {
  std::map<std::string, uintptr_t> at;
  for (const auto &[name, t] : weightsNamed(names))
    at[name] = reinterpret_cast<uintptr_t>(t->data.data());
  return at;
}

void Plan::rewroteWeights(const std::vector<std::string> &names) {
  setWeights(weightsNamed(names));
}

void Plan::setWeights(const SharedWeights &shared) {
  std::lock_guard<std::mutex> lock(mutex);
  // Checked once before any session changes: a bad name or shape changes
  // nothing anywhere.
  std::map<std::string, int> byName = checkWeights(model.program(), shared);
  for (auto &[key, held] : sessions) {
    std::lock_guard<std::mutex> busy(held->busy);
    held->session.setWeights(shared);
  }
  // The plan's program and every session's share each weight: a training
  // step holds one copy of the weights given (and the backend's packed
  // one), not a copy per holder beside the weights compiled in.
  Program program = model.program();
  for (const auto &[name, tensor] : shared)
    program.constants.set(byName.at(name), tensor);
  model = Model(std::move(program), model.info());
}

void Plan::releaseDerivedWeights() {
  std::lock_guard<std::mutex> lock(mutex);
  for (auto &[key, held] : sessions) {
    std::lock_guard<std::mutex> busy(held->busy);
    held->session.releaseDerivedWeights();
  }
}

train::GradKernels &Plan::gradKernels(const std::string &backend, int threads) {
  std::lock_guard<std::mutex> lock(mutex);
  auto key = std::make_pair(backend, threads);
  auto it = kernels.find(key);
  if (it == kernels.end())
    it = kernels.emplace(key, train::gradKernels(backend, threads)).first;
  return *it->second;
}

Program Plan::program() const { return model.program(); }

/// Dimensions with None for the dynamic ones.
py::tuple shapeOf(const Shape &shape) {
  py::tuple t(shape.size());
  for (size_t i = 0; i < shape.size(); ++i)
    t[i] = shape[i] < 0 ? py::object(py::none()) : py::int_(shape[i]);
  return t;
}

namespace {

/// RunOptions from the keyword arguments of Plan.run.
RunOptions parseRunOptions(const std::string &backend, const py::object &tile,
                           const py::object &budget,
                           const py::object &threads) {
  RunOptions o;
  o.backend = backend;
  o.threads = threads.is_none() ? 0 : threads.cast<int>();
  if (!budget.is_none()) {
    try {
      o.memoryBudget = py::isinstance<py::str>(budget)
                           ? plan::parseBytes(budget.cast<std::string>())
                           : budget.cast<int64_t>();
    } catch (const std::invalid_argument &e) {
      throw py::value_error(std::string("memory_budget: ") + e.what());
    }
    if (o.memoryBudget <= 0)
      throw py::value_error("memory_budget must be positive");
  }
  if (py::isinstance<py::str>(tile)) {
    std::string t = tile.cast<std::string>();
    if (t != "auto" && t != "none")
      throw py::value_error("tile must be 'auto', 'none' or an edge in "
                            "pixels, not '" +
                            t + "'");
    if (t == "none")
      o.memoryBudget = 0;
  } else {
    o.tileEdge = tile.cast<int64_t>();
    if (o.tileEdge <= 0)
      throw py::value_error("tile must be a positive edge in pixels");
  }
  return o;
}

} // namespace

RunOptions runOptions(const std::string &backend, const py::object &tile,
                      const py::object &budget, const py::object &threads) {
  RunOptions o;
  try {
    o = parseRunOptions(backend, tile, budget, threads);
  } catch (const py::cast_error &) {
    throw py::type_error("tile is 'auto', 'none' or an int; memory_budget "
                         "an int or a size such as '512MiB'; threads an "
                         "int");
  }
  if (o.threads < 0)
    throw py::value_error("threads must be 0 or more");
  return o;
}

/// A torch CPU tensor as the numpy array viewing its memory; anything else
/// as it is.
py::object viewOf(const py::handle &x) {
  if (py::hasattr(x, "detach") && py::hasattr(x, "numpy"))
    return x.attr("detach")().attr("numpy")();
  return py::reinterpret_borrow<py::object>(x);
}

} // namespace sstep::python
