//===- CpuTileModel.cpp - What the cpu backend holds, for the planner -----===//

#include "runtime/cpu/CpuTileModel.h"
#include "runtime/cpu/Fusion.h"

namespace sstep::cpu {

int64_t nativeChannelBlock() {
  return dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core ? 16 : 8;
}

CpuTileModel::CpuTileModel(int64_t channelBlock)
    : block(channelBlock > 0 ? channelBlock : nativeChannelBlock()) {}

plan::StageSchedule CpuTileModel::schedule(const Program &program,
                                           const plan::Stage &stage,
                                           const plan::Stages &stages,
                                           const plan::Sizes &sizes) const {
  std::vector<std::vector<int>> groups;
  std::vector<Step> steps = planSteps(program, stage, stages, sizes);
  for (const Step &step : steps)
    groups.push_back(step.nodes);
  plan::StageSchedule schedule = plan::scheduleStage(program, stage, groups);
  // CpuBackend::takeDying: a residual that is not the convolution's input.
  for (size_t i = 0; i < steps.size(); ++i)
    if (steps[i].sumValue >= 0 &&
        steps[i].sumValue != program.nodes[steps[i].nodes[0]].operands[0])
      schedule.steps[i].overwrites = steps[i].sumValue;
  return schedule;
}

namespace {
/// Whether image operand `i` of `node` has its result's height and width
/// (not a broadcast one), as far as the program's shapes tell.
bool fullSize(const Program &program, const Node &node, size_t i) {
  const Shape &a = program.values[node.operands[i]].shape;
  const Shape &r = program.values[node.results[0]].shape;
  return node.window && node.window->spatial[i] && a.size() == 4 &&
         r.size() == 4 && a[2] == r[2] && a[3] == r[3];
}

/// Whether the backend runs `node` alone on a oneDNN primitive writing the
/// blocked layout (CpuBackend::runNode's choice and its runBinary and
/// runConcat refusals, for blocks inside the image).
bool writesBlocked(const Program &program, const Node &node) {
  const std::string &op = node.op;
  if (op == "conv2d" || op == "conv_transpose2d" || op == "max_pool2d" ||
      op == "avg_pool2d")
    return true;
  if (op == "add" || op == "sub" || op == "mul" || op == "div")
    return node.operands.size() == 2 &&
           (fullSize(program, node, 0) ||
            ((op == "add" || op == "mul") && fullSize(program, node, 1)));
  if (op == "concat") {
    bool all = node.getInt("axis") == 1;
    for (size_t i = 0; all && i < node.operands.size(); ++i)
      all = fullSize(program, node, i);
    return all;
  }
  return false;
}
} // namespace

plan::BlockLayout CpuTileModel::layout(const Program &program,
                                       const plan::StageSchedule &s) const {
  plan::BlockLayout layout;
  layout.channelBlock = block;
  layout.blocked.assign(program.values.size(), false);
  for (const plan::StageSchedule::Step &step : s.steps) {
    const Node &node = program.nodes[step.nodes.back()];
    bool blocked = false;
    if (step.nodes.size() > 1) // a convolution with post-ops
      blocked = true;
    else if (keepsInputLayout(node, program))
      blocked = layout.blocked[node.operands[0]];
    else
      blocked = writesBlocked(program, node);
    layout.blocked[step.result] = blocked;
  }
  return layout;
}

} // namespace sstep::cpu
