//===- Fusion.cpp - Which of a stage's tile nodes run as one primitive ----===//

#include "runtime/cpu/Fusion.h"

#include <algorithm>

namespace sstep::cpu {

using dnnl::algorithm;

namespace {

/// `x op c` for a one-element constant `c`, as oneDNN's linear alpha*x+beta:
/// exact for add, sub and mul; for div, x * (1/c) may differ from x / c in
/// the last bit. Exporters write these for input scaling and normalisation;
/// oneDNN's binary primitive broadcasts a scalar at a fraction of the speed.
std::optional<Eltwise> scalarLinear(const Node &node, const Program &program) {
  int c = node.operands[1];
  if (!program.constants.contains(c) ||
      numElements(program.constants.shape(c)) != 1 ||
      program.constants.contains(node.operands[0]) ||
      program.values[node.operands[0]].shape !=
          program.values[node.results[0]].shape)
    return std::nullopt;
  float k = program.constants.get(c).data[0];
  if (node.op == "add")
    return Eltwise{algorithm::eltwise_linear, 1.0f, k};
  if (node.op == "sub")
    return Eltwise{algorithm::eltwise_linear, 1.0f, -k};
  if (node.op == "mul")
    return Eltwise{algorithm::eltwise_linear, k, 0.0f};
  if (node.op == "div" && k != 0)
    return Eltwise{algorithm::eltwise_linear, 1.0f / k, 0.0f};
  return std::nullopt;
}

} // namespace

std::optional<Eltwise> eltwiseOf(const Node &node, const Program &program) {
  if (node.operands.size() == 2)
    return scalarLinear(node, program);
  return unaryEltwiseOf(node);
}

std::optional<Eltwise> unaryEltwiseOf(const Node &node) {
  if (node.operands.size() != 1)
    return std::nullopt;
  const std::string &op = node.op;
  if (op == "relu")
    return Eltwise{algorithm::eltwise_relu};
  if (op == "leaky_relu")
    return Eltwise{algorithm::eltwise_relu, float(node.getFloat("alpha"))};
  if (op == "sigmoid")
    return Eltwise{algorithm::eltwise_logistic};
  if (op == "tanh")
    return Eltwise{algorithm::eltwise_tanh};
  if (op == "exp")
    return Eltwise{algorithm::eltwise_exp};
  if (op == "sqrt")
    return Eltwise{algorithm::eltwise_sqrt};
  if (op == "log")
    return Eltwise{algorithm::eltwise_log};
  if (op == "abs")
    return Eltwise{algorithm::eltwise_abs};
  if (op == "neg")
    return Eltwise{algorithm::eltwise_linear, -1.0f, 0.0f};
  if (op == "hard_swish")
    return Eltwise{algorithm::eltwise_hardswish};
  if (op == "gelu")
    return Eltwise{algorithm::eltwise_gelu_erf};
  if (op == "silu")
    return Eltwise{algorithm::eltwise_swish, 1.0f};
  if (op == "clip")
    return Eltwise{algorithm::eltwise_clip, float(node.getFloat("min")),
                   float(node.getFloat("max"))};
  return std::nullopt;
}

std::optional<ChannelBinary> channelBinaryOf(const Node &node,
                                             const Program &program) {
  if (node.operands.size() != 2 || (node.op != "add" && node.op != "sub" &&
                                    node.op != "mul" && node.op != "div"))
    return std::nullopt;
  int x = node.operands[0], c = node.operands[1];
  if (!program.constants.contains(c) || program.constants.contains(x))
    return std::nullopt;
  const Shape &image = program.values[x].shape;
  const Shape &shape = program.constants.shape(c);
  if (image.size() != 4 || image[1] <= 0 ||
      program.values[node.results[0]].shape != image)
    return std::nullopt;
  // [C, 1, 1] or [1, C, 1, 1]: one value per channel.
  Shape perChannel{image[1], 1, 1}, batched{1, image[1], 1, 1};
  if (shape != perChannel && shape != batched)
    return std::nullopt;
  algorithm alg = node.op == "add"   ? algorithm::binary_add
                  : node.op == "sub" ? algorithm::binary_sub
                  : node.op == "mul" ? algorithm::binary_mul
                                     : algorithm::binary_div;
  return ChannelBinary{alg, c};
}

bool isChannelLayerNorm(const Node &node, const Program &program) {
  return node.op == "layer_norm" &&
         node.getInts("axes") == std::vector<int64_t>{1} &&
         program.values[node.operands[0]].shape.size() == 4;
}

bool isChannelGather(const Node &node, const Program &program) {
  bool image = program.values[node.operands[0]].shape.size() == 4;
  return image && (node.op == "channel_shuffle" ||
                   (node.op == "slice" &&
                    node.getInts("axes") == std::vector<int64_t>{1}));
}

bool keepsInputLayout(const Node &node, const Program &program) {
  return eltwiseOf(node, program) || isChannelLayerNorm(node, program) ||
         isChannelGather(node, program) || node.op == "resize2d" ||
         isSpatialCrop(node);
}

namespace {

/// Per value: how many node operands read it.
std::vector<int> readers(const Program &program) {
  std::vector<int> count(program.values.size(), 0);
  for (const Node &node : program.nodes)
    for (int v : node.operands)
      ++count[v];
  return count;
}

bool isImage(const Program &program, const plan::Sizes &sizes, int v) {
  return program.values[v].shape.size() == 4 && sizes[v][0] >= 0;
}

} // namespace

std::vector<Step> planSteps(const Program &program, const plan::Stage &stage,
                            const plan::Stages &stages,
                            const plan::Sizes &sizes) {
  std::vector<int> count = readers(program);
  std::vector<bool> isSink(program.values.size(), false);
  for (int v : stage.sinks)
    isSink[v] = true;
  for (int v : program.outputs)
    isSink[v] = true;
  auto swallowable = [&](int v) {
    return count[v] == 1 && !isSink[v] && !stages.stored[v];
  };
  // oneDNN's convolutions take a residual sum before binary post-ops only.
  auto hasBinary = [&](const Step &step) {
    for (int id : step.nodes)
      if (channelBinaryOf(program.nodes[id], program))
        return true;
    return false;
  };

  std::vector<Step> steps;
  const std::vector<int> &nodes = stage.tileNodes;
  for (size_t i = 0; i < nodes.size(); ++i) {
    Step step;
    step.nodes.push_back(nodes[i]);
    step.result = program.nodes[nodes[i]].results[0];
    if (program.nodes[nodes[i]].op == "conv2d") {
      // Extend along the sole reader while it is the next tile node.
      while (i + 1 < nodes.size() && swallowable(step.result)) {
        const Node &next = program.nodes[nodes[i + 1]];
        bool fits = false;
        if (eltwiseOf(next, program) || channelBinaryOf(next, program)) {
          fits = true;
        } else if (next.op == "add" && step.sumNode < 0 &&
                   next.operands.size() == 2 && !hasBinary(step)) {
          int other = next.operands[0] == step.result ? next.operands[1]
                                                      : next.operands[0];
          bool reads = next.operands[0] == step.result ||
                       next.operands[1] == step.result;
          fits = reads && other != step.result &&
                 isImage(program, sizes, other) &&
                 sizes[other] == sizes[step.result] &&
                 program.values[other].shape[1] ==
                     program.values[step.result].shape[1] &&
                 program.values[other].shape[1] > 0;
          if (fits) {
            step.sumNode = nodes[i + 1];
            step.sumValue = other;
          }
        }
        if (!fits || std::find(next.operands.begin(), next.operands.end(),
                               step.result) == next.operands.end())
          break;
        step.nodes.push_back(nodes[++i]);
        step.result = next.results[0];
      }
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

Step stepOf(const Program &program, const std::vector<int> &nodes) {
  Step step;
  for (int id : nodes) {
    const Node &node = program.nodes[id];
    if (!step.nodes.empty() && !eltwiseOf(node, program) &&
        !channelBinaryOf(node, program)) {
      // The residual add: the operand that is not the chain's value.
      step.sumNode = id;
      step.sumValue =
          node.operands[0] == step.result ? node.operands[1] : node.operands[0];
    }
    step.nodes.push_back(id);
    step.result = node.results[0];
  }
  return step;
}

} // namespace sstep::cpu
