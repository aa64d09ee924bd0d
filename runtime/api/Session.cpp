//===- Session.cpp - A loaded plan and a live backend, reused across runs -===//

#include "runtime/api/Session.h"
#include "runtime/api/Backends.h"

#include <set>

namespace sstep {

Session::Session(Model model, SessionOptions options)
    : model_(std::make_unique<Model>(std::move(model))),
      options_(std::move(options)) {
  backend_ =
      requireBackend(options_.backend, options_.threads, options_.deviceMemory);
  ++created_;
}

Session::~Session() = default;
Session::Session(Session &&) noexcept = default;
Session &Session::operator=(Session &&) noexcept = default;

std::vector<Tensor> Session::run(std::vector<Tensor> inputs,
                                 const RunOptions &options,
                                 exec::Stats *stats) {
  RunOptions own = options;
  own.backend = options_.backend;
  own.threads = options_.threads;
  own.deviceMemory = options_.deviceMemory;
  ++runs_;
  return model_->runOn(*backend_, std::move(inputs), own, stats);
}

std::map<std::string, int> namedWeights(const Program &program) {
  std::map<std::string, int> byName;
  for (const auto &[v, shape] : program.constants.shapes())
    if (!program.values[v].name.empty() && numElements(shape) > 0)
      byName[program.values[v].name] = v;
  return byName;
}

std::map<std::string, Shape> Session::weights() const {
  const Program &program = model_->program_;
  std::map<std::string, Shape> named;
  for (const auto &[name, v] : namedWeights(program))
    named[name] = program.constants.shape(v);
  return named;
}

namespace {
void checkWeight(const Program &program,
                 const std::map<std::string, int> &byName,
                 const std::string &name, const Tensor &tensor) {
  auto found = byName.find(name);
  if (found == byName.end())
    throw RuntimeError("the model has no weight '" + name + "'");
  const Shape &shape = program.constants.shape(found->second);
  if (tensor.shape != shape ||
      int64_t(tensor.data.size()) != numElements(shape))
    throw RuntimeError("weight '" + name + "' has shape " + formatShape(shape) +
                       ", given " + formatShape(tensor.shape));
}
} // namespace

std::map<std::string, int>
checkWeights(const Program &program,
             const std::map<std::string, Tensor> &given) {
  std::map<std::string, int> byName = namedWeights(program);
  for (const auto &[name, tensor] : given)
    checkWeight(program, byName, name, tensor);
  return byName;
}

std::map<std::string, int> checkWeights(const Program &program,
                                        const SharedWeights &given) {
  std::map<std::string, int> byName = namedWeights(program);
  for (const auto &[name, tensor] : given)
    checkWeight(program, byName, name, *tensor);
  return byName;
}

void Session::setWeights(const std::map<std::string, Tensor> &given) {
  checkWeights(model_->program_, given);
  SharedWeights shared;
  for (const auto &[name, tensor] : given)
    shared[name] = std::make_shared<const Tensor>(tensor);
  setWeights(shared);
}

void Session::setWeights(const SharedWeights &given) {
  Program &program = model_->program_;
  // Every check before the first replacement: a bad call changes nothing.
  std::map<std::string, int> byName = checkWeights(program, given);
  std::vector<int> changed;
  for (const auto &[name, tensor] : given)
    changed.push_back(byName.at(name));
  backend_->checkReplaceable(program, changed);
  // What the backend derived from the old weights goes first: it may wrap
  // their memory, which replacing them frees.
  backend_->constantsChanged(changed);
  for (const auto &[name, tensor] : given)
    program.constants.set(byName.at(name), tensor);
}

void Session::releaseDerivedWeights() {
  std::vector<int> all;
  for (const auto &[v, shape] : model_->program_.constants.shapes())
    all.push_back(v);
  backend_->constantsChanged(all);
}

} // namespace sstep
