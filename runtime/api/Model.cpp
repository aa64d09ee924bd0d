//===- Model.cpp - SSTEP's C++ API: a compiled model you can run ----------===//

#include "runtime/api/Model.h"
#include "runtime/api/Backends.h"
#include "runtime/core/EmbeddedPlan.h"
#include "runtime/plan/MemoryPlan.h"
#include "runtime/plan/Stages.h"
#include "runtime/reference/Interpreter.h"

namespace sstep {

Model Model::load(const std::string &path) {
  PlanInfo info;
  if (isPlanFile(path)) {
    Program program = readPlan(path, &info);
    return Model(std::move(program), std::move(info));
  }
  if (std::optional<EmbeddedPlanSpan> span = findEmbeddedPlan(path)) {
    Program program = readPlanAt(path, span->offset, span->size, &info);
    return Model(std::move(program), std::move(info));
  }
  throw RuntimeError(path + ": not an SSTEP plan (sstep-compile writes one "
                            "from an ONNX model)");
}

Model::Model(Program program, PlanInfo info)
    : program_(std::move(program)), info_(std::move(info)) {}

std::vector<std::string> Model::inputNames() const {
  std::vector<std::string> names;
  for (int id : program_.inputs)
    names.push_back(program_.values[id].name);
  return names;
}

std::vector<std::string> Model::outputNames() const {
  std::vector<std::string> names;
  for (size_t i = 0; i < program_.outputs.size(); ++i)
    names.push_back(program_.outputName(i));
  return names;
}

plan::ExecutionPlan Model::planFor(Size2 size, const ExecutionOptions &options,
                                   bool slide,
                                   const plan::StreamModel *stream) const {
  const BackendInfo &backend = backendInfo(options.backend);
  plan::TileRequest request;
  request.fixed = {options.tileEdge,
                   options.tileEdge > 0 ? options.tileRows : 0};
  request.memoryBudget = options.memoryBudget;
  request.slide = slide;
  request.store = options.store;
  request.stream = stream;
  if (request.fixed.edge <= 0 && request.memoryBudget > 0 &&
      (size[0] <= 0 || size[1] <= 0))
    throw RuntimeError("a memory budget needs an NCHW image as the first "
                       "input");
  return plan::planExecution(program_, size,
                             {backend.keepsRows, &backend.model()}, request);
}

plan::TileShape Model::tileShapeFor(const std::vector<Tensor> &inputs,
                                    const RunOptions &options) const {
  exec::Options sources;
  sources.sources = options.sources;
  return planFor(exec::firstInputSize(inputs, sources), options).tiles;
}

bool Model::streamable(size_t index) const {
  int v = program_.inputs.at(index);
  // A tiled node may still read an operand whole (a resize's size source).
  for (const Node &node : program_.nodes)
    for (size_t i = 0; i < node.operands.size(); ++i)
      if (node.operands[i] == v &&
          (node.role != Role::Tile || !node.window || !node.window->spatial[i]))
        return false;
  return true;
}

plan::TileShape Model::tileShapeFor(Size2 size,
                                    const ExecutionOptions &options) const {
  return planFor(size, options).tiles;
}

std::vector<Tensor> Model::run(std::vector<Tensor> inputs,
                               const RunOptions &options,
                               exec::Stats *stats) const {
  std::unique_ptr<exec::Backend> backend =
      requireBackend(options.backend, options.threads, options.deviceBytes());
  return runOn(*backend, std::move(inputs), options, stats);
}

std::vector<Tensor> Model::runOn(exec::Backend &backend,
                                 std::vector<Tensor> inputs,
                                 const RunOptions &options,
                                 exec::Stats *stats) const {
  if (backend.name() != options.backend)
    throw RuntimeError("internal error: options for the " + options.backend +
                       " backend given with the " + backend.name() + " one");
  exec::Options execOptions;
  execOptions.sources = options.sources;
  execOptions.sinks = options.sinks;
  execOptions.scratchFolder = options.scratchFolder;
  execOptions.checkpoints = options.checkpoints;
  execOptions.progress = options.progress;
  plan::ExecutionPlan plan = planFor(exec::firstInputSize(inputs, execOptions),
                                     options, /*slide=*/false, options.stream);
  if (plan.tiles.whole() && !execOptions.sources.empty()) {
    // One region, the whole image: the source is read once, as a tile's
    // window would be.
    for (auto [index, source] : execOptions.sources) {
      Shape shape = source->shape();
      if (index >= inputs.size())
        throw RuntimeError("a source for input " + std::to_string(index) +
                           " of " + std::to_string(inputs.size()));
      inputs[index] = source->read(Region::whole({shape[2], shape[3]}));
    }
    execOptions.sources.clear();
  }
  if (plan.tiles.whole() && options.backend == "reference" && !stats &&
      options.sinks.empty()) {
    // The oracle's whole-image interpreter: no partitioning involved.
    return reference::run(program_, std::move(inputs));
  }
  return exec::execute(program_, plan, backend, std::move(inputs), execOptions,
                       stats);
}

} // namespace sstep
