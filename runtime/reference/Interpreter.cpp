//===- Interpreter.cpp - Runs a Program with the reference kernels --------===//

#include "runtime/reference/Interpreter.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Kernels.h"

namespace sstep::reference {

void checkInput(const ValueInfo &info, const Tensor &tensor) {
  bool fits = info.shape.size() == tensor.shape.size();
  for (size_t i = 0; fits && i < info.shape.size(); ++i)
    fits = info.shape[i] < 0 || info.shape[i] == tensor.shape[i];
  if (!fits)
    throw RuntimeError("input '" + info.name + "' has shape " +
                       formatShape(tensor.shape) + ", the model expects " +
                       formatShape(info.shape));
  if (static_cast<int64_t>(tensor.data.size()) != numElements(tensor.shape))
    throw RuntimeError("input '" + info.name + "' holds " +
                       std::to_string(tensor.data.size()) +
                       " values for shape " + formatShape(tensor.shape));
}

namespace {
/// For each value, the index of the last node reading it (-1: none).
std::vector<int> lastUses(const Program &program) {
  std::vector<int> last(program.values.size(), -1);
  for (size_t i = 0; i < program.nodes.size(); ++i)
    for (int v : program.nodes[i].operands)
      last[v] = static_cast<int>(i);
  return last;
}
} // namespace

std::vector<Tensor> run(const Program &program, std::vector<Tensor> inputs) {
  if (inputs.size() != program.inputs.size())
    throw RuntimeError("the model takes " +
                       std::to_string(program.inputs.size()) +
                       " inputs, given " + std::to_string(inputs.size()));
  std::vector<Tensor> values(program.values.size());
  std::vector<bool> ready(program.values.size(), false);
  for (size_t i = 0; i < inputs.size(); ++i) {
    int id = program.inputs[i];
    checkInput(program.values[id], inputs[i]);
    values[id] = std::move(inputs[i]);
    ready[id] = true;
  }
  std::vector<bool> isOutput(program.values.size(), false);
  for (int v : program.outputs)
    isOutput[v] = true;
  std::vector<int> last = lastUses(program);

  for (size_t i = 0; i < program.nodes.size(); ++i) {
    const Node &node = program.nodes[i];
    auto kernel = kernels().find(node.op);
    if (kernel == kernels().end())
      throw RuntimeError(node.describe() + ": no reference kernel for this op");
    Operands operands;
    for (int v : node.operands) {
      if (program.constants.contains(v))
        operands.push_back(&program.constants.get(v));
      else if (ready[v])
        operands.push_back(&values[v]);
      else
        throw RuntimeError(node.describe() + ": operand '" +
                           program.values[v].name + "' is not computed yet");
    }
    std::vector<Tensor> results = kernel->second(node, operands);
    if (results.size() != node.results.size())
      throw RuntimeError(node.describe() + ": kernel returned " +
                         std::to_string(results.size()) + " results");
    for (size_t r = 0; r < results.size(); ++r) {
      values[node.results[r]] = std::move(results[r]);
      ready[node.results[r]] = true;
    }
    for (int v : node.operands)
      if (last[v] == static_cast<int>(i) && !isOutput[v])
        values[v] = Tensor();
  }

  std::vector<Tensor> outputs;
  for (int v : program.outputs) {
    if (program.constants.contains(v))
      outputs.push_back(program.constants.get(v));
    else if (ready[v])
      outputs.push_back(values[v]);
    else
      throw RuntimeError("output '" + program.values[v].name +
                         "' is never computed");
  }
  return outputs;
}

} // namespace sstep::reference
