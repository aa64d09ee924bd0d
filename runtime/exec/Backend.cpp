//===- Backend.cpp - Tile jobs run synchronously, through runTile ---------===//

#include "runtime/exec/Backend.h"

namespace sstep::exec {
namespace {

/// The executor's context as a job's runTile sees it: blocks the job
/// loaded come from the job, the rest from the executor.
class JobContext : public TileContext {
public:
  JobContext(TileJob &job, TileContext &executor)
      : job(job), executor(executor) {}

  Tensor load(int value, const Region &region) override {
    auto it = job.inputs.find(value);
    if (it == job.inputs.end() || !(it->second.region == region))
      return executor.load(value, region);
    Tensor block = std::move(it->second.tensor);
    job.inputs.erase(it);
    return block;
  }
  const Tensor &whole(int value) override { return executor.whole(value); }
  void sink(int value, Tensor block) override {
    job.sinks[value] = std::move(block);
  }

private:
  TileJob &job;
  TileContext &executor;
};

} // namespace

void Backend::submit(std::unique_ptr<TileJob> job, TileContext &context) {
  JobContext served(*job, context);
  job->peakBytes = runTile(*job->stage, job->windows, served);
  job->inputs.clear();
  done.push_back(std::move(job));
}

std::unique_ptr<TileJob> Backend::complete() {
  if (done.empty())
    return nullptr;
  std::unique_ptr<TileJob> job = std::move(done.front());
  done.pop_front();
  return job;
}

std::string profileName(const Program &program, const Node &node) {
  if (node.op != "conv2d" && node.op != "conv_transpose2d")
    return node.op;
  const Shape &weight = program.values[node.operands[1]].shape;
  int64_t groups = node.has("groups") ? node.getInt("groups") : 1;
  std::string name = node.op + "[" + std::to_string(weight[2]) + "x" +
                     std::to_string(weight[3]);
  bool depthwise = node.op == "conv2d" && groups > 1 && weight[1] == 1 &&
                   weight[0] == groups;
  if (depthwise)
    name += " dw";
  else if (groups > 1)
    name += " g" + std::to_string(groups);
  return name + "]";
}

} // namespace sstep::exec
