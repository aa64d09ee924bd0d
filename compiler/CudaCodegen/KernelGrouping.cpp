//===- KernelGrouping.cpp - Which tile nodes each CUDA kernel computes ----===//

#include "compiler/CudaCodegen/KernelGrouping.h"
#include "runtime/plan/Stages.h"

#include <set>

namespace sstep::cuda {
namespace {

const std::set<std::string> kUnary = {
    "relu", "sigmoid",    "tanh",         "erf",  "exp", "sqrt",
    "log",  "hard_swish", "hard_sigmoid", "clip", "pow", "leaky_relu",
    "abs",  "neg",        "gelu",         "silu"};
const std::set<std::string> kBinary = {"add", "sub", "mul", "div", "prelu"};
const std::set<std::string> kWindow = {"max_pool2d", "avg_pool2d", "pad2d",
                                       "resize2d"};

/// Constants larger than this stay out of the generated source.
constexpr int64_t kMaxEmbeddedConstant = 1 << 16;

/// Whether operand `i` of `node` can be read by an element-wise kernel.
bool readableOperand(const Node &node, size_t i, const Program &program) {
  int v = node.operands[i];
  const Shape &shape = program.values[v].shape;
  if (node.window && node.window->spatial[i])
    return shape.size() == 4;
  if (program.constants.contains(v)) {
    const Shape &shape = program.constants.shape(v);
    return shape.size() <= 4 && numElements(shape) <= kMaxEmbeddedConstant;
  }
  // A per-channel global (a squeeze-and-excitation gate): [N|1, C|1, 1, 1].
  return shape.size() == 4 && shape[2] == 1 && shape[3] == 1;
}

/// A channel shuffle, a slice of channels only, a reduction over channels:
/// each output pixel reads channels of the same input pixel.
bool movesChannels(const Node &node, const Program &program) {
  if (node.results.size() != 1 || node.operands.empty() ||
      program.values[node.operands[0]].shape.size() != 4)
    return false;
  if (node.op == "channel_shuffle")
    return true;
  if (node.op == "reduce")
    return node.getInts("axes") == std::vector<int64_t>{1} &&
           node.getInt("keepdims") != 0;
  return node.op == "slice" && node.getInts("axes") == std::vector<int64_t>{1};
}

struct Grouper {
  const Program &program;
  plan::Stages stages = plan::planStages(program);
  std::vector<int> readers = std::vector<int>(program.values.size(), 0);
  std::vector<int> kernelOf = std::vector<int>(program.nodes.size(), -1);
  std::vector<GeneratedKernel> kernels;

  explicit Grouper(const Program &p) : program(p) {
    for (const Node &node : program.nodes)
      for (int v : node.operands)
        ++readers[v];
  }

  void addInput(GeneratedKernel &kernel, int v) {
    for (int id : kernel.nodes)
      for (int r : program.nodes[id].results)
        if (r == v)
          return; // computed inside the kernel
    for (int in : kernel.inputs)
      if (in == v)
        return;
    kernel.inputs.push_back(v);
  }

  /// Image and global operands of `node` become inputs; constants are
  /// embedded in the source.
  void addOperands(GeneratedKernel &kernel, const Node &node) {
    for (int v : node.operands)
      if (!program.constants.contains(v))
        addInput(kernel, v);
  }

  /// Appends the element-wise nodes that read the kernel's result and
  /// nothing the kernel cannot reach.
  void extend(GeneratedKernel &kernel, const std::vector<int> &tileNodes,
              size_t from) {
    for (size_t i = from; i < tileNodes.size(); ++i) {
      int result = program.nodes[kernel.nodes.back()].results[0];
      if (readers[result] != 1 || stages.stored[result])
        return;
      int id = tileNodes[i];
      const Node &next = program.nodes[id];
      bool reads = false;
      for (int v : next.operands)
        reads |= v == result;
      if (!reads)
        continue;
      // Two convolutions summed: the first one's epilogue already took the
      // add, and a node computed by two kernels would be written twice.
      if (kernelOf[id] >= 0 || !isElementwise(next, program) ||
          !isImageOperand(next, result))
        return;
      GeneratedKernel grown = kernel;
      grown.nodes.push_back(id);
      addOperands(grown, next);
      if (grown.inputs.size() > size_t(kMaxKernelInputs))
        return;
      kernel = std::move(grown);
    }
  }

  void group(const std::vector<int> &tileNodes) {
    for (size_t i = 0; i < tileNodes.size(); ++i) {
      int id = tileNodes[i];
      if (kernelOf[id] >= 0)
        continue;
      const Node &node = program.nodes[id];
      GeneratedKernel kernel;
      if (node.op == "conv2d") {
        kernel.kind = "epilogue";
        kernel.nodes = {id};
        kernel.inputs = {node.results[0]};
        extend(kernel, tileNodes, i + 1);
        // A bare convolution without bias needs no kernel at all.
        if (kernel.nodes.size() == 1 && node.operands.size() < 3)
          continue;
      } else if (isElementwise(node, program)) {
        kernel.kind = "elementwise";
        kernel.nodes = {id};
        addOperands(kernel, node);
        extend(kernel, tileNodes, i + 1);
      } else if (kWindow.count(node.op) && node.results.size() == 1 &&
                 program.values[node.operands[0]].shape.size() == 4) {
        kernel.kind = "window";
        kernel.nodes = {id};
        kernel.inputs = {node.operands[0]};
      } else if (movesChannels(node, program)) {
        kernel.kind = "window";
        kernel.nodes = {id};
        kernel.inputs = {node.operands[0]};
      } else if (node.op == "concat" && node.getInt("axis") == 1 &&
                 node.operands.size() <= size_t(kMaxKernelInputs)) {
        kernel.kind = "concat";
        kernel.nodes = {id};
        kernel.inputs = node.operands;
      } else {
        continue;
      }
      if (kernel.inputs.size() > size_t(kMaxKernelInputs))
        continue;
      kernel.symbol = "sstep_k" + std::to_string(kernels.size());
      for (int n : kernel.nodes)
        kernelOf[n] = int(kernels.size());
      kernels.push_back(std::move(kernel));
    }
  }
};

} // namespace

bool isImageOperand(const Node &node, int value) {
  for (size_t i = 0; i < node.operands.size(); ++i)
    if (node.operands[i] == value && node.window && node.window->spatial[i])
      return true;
  return false;
}

bool isElementwise(const Node &node, const Program &program) {
  if (node.role != Role::Tile || node.results.size() != 1 ||
      program.values[node.results[0]].shape.size() != 4)
    return false;
  if (kUnary.count(node.op))
    return node.operands.size() == 1 && readableOperand(node, 0, program) &&
           isImageOperand(node, node.operands[0]);
  if (!kBinary.count(node.op) || node.operands.size() != 2)
    return false;
  for (size_t i = 0; i < 2; ++i)
    if (!readableOperand(node, i, program))
      return false;
  return node.op != "prelu" || isImageOperand(node, node.operands[0]);
}

std::vector<GeneratedKernel> groupKernels(const Program &program) {
  Grouper grouper(program);
  for (const plan::Stage &stage : grouper.stages.stages)
    grouper.group(stage.tileNodes);
  return std::move(grouper.kernels);
}

} // namespace sstep::cuda
