//===- Plan.h - sstep.Plan: a model and its live sessions --------*- C++
//-*-===//
//
// A Plan is a Model with one Session per (backend, threads) it has run on,
// so a second run reuses the backend, its packed weights and caches, and
// the weights Plan.set_weights gave (a training step's), which every
// session, present or future, and Plan.save see.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_PYTHON_PLAN_H
#define SSTEP_PYTHON_PLAN_H

#include "runtime/api/Session.h"
#include "runtime/train/GradKernels.h"

#include <pybind11/pybind11.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sstep::python {

class Plan {
public:
  explicit Plan(Model model) : model(std::move(model)) {}

  /// A session with its own lock: one run at a time uses its backend.
  struct Held {
    Session session;
    std::mutex busy;
  };

  /// The session for `backend` and `threads`, made on first use with the
  /// weights set so far.
  Held &session(const std::string &backend, int threads);

  /// Replaces weights by name in every session and for those made later.
  /// Throws RuntimeError naming an unknown weight or a wrong shape before
  /// changing any.
  void setWeights(std::map<std::string, Tensor> weights);
  void setWeights(const SharedWeights &weights);
  /// Weight `name` as one tensor every session and the program share, for
  /// its owner to write between runs (StreamingModule's parameters live
  /// there: the optimizer's updates reach the plan without a copy). Throws
  /// RuntimeError naming an unknown weight.
  std::shared_ptr<const Tensor> shareWeight(const std::string &name);
  /// Where each of the weights `names` starts in memory (StreamingModule
  /// tells its parameters that still are the plan's tensors from moved
  /// ones). Throws RuntimeError naming an unknown weight.
  std::map<std::string, uintptr_t>
  weightAddresses(const std::vector<std::string> &names);
  /// After weights were written in place: every holder sets them again, so
  /// that nothing derived from their old values (a packed copy, a checksum
  /// a resumed run's fingerprint reads) survives.
  void rewroteWeights(const std::vector<std::string> &names);
  /// The tensors of the weights `names`, as every holder shares them.
  SharedWeights weightsNamed(const std::vector<std::string> &names);
  /// Session::releaseDerivedWeights in every session.
  void releaseDerivedWeights();

  /// The backward pass's kernels for `backend` and `threads`, made on
  /// first use (they keep oneDNN's primitives across steps).
  train::GradKernels &gradKernels(const std::string &backend, int threads);

  /// The program with the weights set so far (for Plan.save).
  Program program() const;

  Model model;
  /// Plan.run's memory_budget when it is not given: bytes or a size text.
  pybind11::object memoryBudget = pybind11::none();
  std::mutex mutex;
  std::map<std::pair<std::string, int>, std::unique_ptr<Held>> sessions;
  std::map<std::pair<std::string, int>, std::unique_ptr<train::GradKernels>>
      kernels;
  /// Where the last run read each input from (0: copied), for the tests
  /// that show inputs are read in place.
  std::vector<uintptr_t> readFrom;
};

/// Dimensions with None for the dynamic ones.
pybind11::tuple shapeOf(const Shape &shape);

/// RunOptions from the keyword arguments of Plan.run (and the other runs):
/// tile 'auto', 'none' or an edge; memory_budget bytes or a size text.
/// Raises TypeError or ValueError for bad ones.
RunOptions runOptions(const std::string &backend, const pybind11::object &tile,
                      const pybind11::object &budget,
                      const pybind11::object &threads);

/// A torch CPU tensor as the numpy array viewing its memory; anything else
/// as it is.
pybind11::object viewOf(const pybind11::handle &x);

/// Plan.set_weights, Plan.weights and Plan.backward (TrainBindings.cpp).
void registerTrain(pybind11::class_<Plan> &plan);

} // namespace sstep::python

#endif // SSTEP_PYTHON_PLAN_H
