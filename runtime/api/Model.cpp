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

plan::TileShape Model::tileShapeFor(const std::vector<Tensor> &inputs,
                                    const RunOptions &options) const {
  if (options.tileEdge > 0 || options.memoryBudget <= 0)
    return {options.tileEdge, options.tileEdge > 0 ? options.tileRows : 0};
  auto source = options.sources.find(0);
  if (source != options.sources.end()) {
    Shape shape = source->second->shape();
    return tileShapeFor(Size2{shape[2], shape[3]}, options);
  }
  if (inputs.empty() || inputs[0].rank() != 4)
    throw RuntimeError("a memory budget needs an NCHW image as the first "
                       "input");
  return tileShapeFor(Size2{inputs[0].dim(2), inputs[0].dim(3)}, options);
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
                                    const RunOptions &options) const {
  if (options.tileEdge > 0 || options.memoryBudget <= 0)
    return {options.tileEdge, options.tileEdge > 0 ? options.tileRows : 0};
  return plan::chooseTiles(program_, plan::planStages(program_), size,
                           options.memoryBudget,
                           backendKeepsRows(options.backend));
}

std::vector<Tensor> Model::run(std::vector<Tensor> inputs,
                               const RunOptions &options,
                               exec::Stats *stats) const {
  std::unique_ptr<exec::Backend> backend = requireBackend(
      options.backend, options.threads,
      options.deviceMemory ? options.deviceMemory : options.memoryBudget);
  plan::TileShape tiles = tileShapeFor(inputs, options);
  if (tiles.edge == 0 && !options.sources.empty())
    throw RuntimeError("an input read a region at a time needs a tiled run");
  if (tiles.edge == 0 && options.backend == "reference" && !stats &&
      options.sinks.empty()) {
    // The oracle's whole-image interpreter: no partitioning involved.
    return reference::run(program_, std::move(inputs));
  }
  exec::Options execOptions;
  execOptions.tileEdge = tiles.edge;
  execOptions.tileRows = tiles.rows;
  execOptions.sources = options.sources;
  execOptions.sinks = options.sinks;
  return exec::execute(program_, *backend, std::move(inputs), execOptions,
                       stats);
}

} // namespace sstep
