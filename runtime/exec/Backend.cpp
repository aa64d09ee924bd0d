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

} // namespace sstep::exec
