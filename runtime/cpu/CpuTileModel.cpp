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
/// Whether the backend runs `node` alone on a oneDNN primitive writing the
/// blocked layout (CpuBackend::runNode's choice, for blocks inside the
/// image).
bool writesBlocked(const Node &node) {
  const std::string &op = node.op;
  return op == "conv2d" || op == "max_pool2d" || op == "avg_pool2d" ||
         op == "add" || op == "sub" || op == "mul" || op == "div" ||
         op == "concat";
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
    else if (eltwiseOf(node, program))
      blocked = layout.blocked[node.operands[0]];
    else
      blocked = writesBlocked(node);
    layout.blocked[step.result] = blocked;
  }
  return layout;
}

} // namespace sstep::cpu
