//===- StageSchedule.cpp - A tile's steps and when its values die ---------===//

#include "runtime/plan/StageSchedule.h"
#include "runtime/core/RuntimeError.h"

namespace sstep::plan {

StageSchedule scheduleStage(const Program &program, const Stage &stage,
                            const std::vector<std::vector<int>> &groups) {
  StageSchedule s;
  std::vector<std::vector<int>> cut = groups;
  if (cut.empty())
    for (int id : stage.tileNodes)
      cut.push_back({id});
  size_t next = 0;
  for (const std::vector<int> &group : cut) {
    if (group.empty())
      throw RuntimeError("internal error: an empty step in a stage schedule");
    StageSchedule::Step step;
    for (int id : group) {
      if (next >= stage.tileNodes.size() || stage.tileNodes[next] != id)
        throw RuntimeError("internal error: the steps of a stage schedule "
                           "are not its tile nodes in order at " +
                           program.nodes[id].describe());
      ++next;
      step.nodes.push_back(id);
      step.results.push_back(program.nodes[id].results[0]);
    }
    step.result = step.results.back();
    s.computed.insert(step.result);
    for (size_t i = 0; i + 1 < step.results.size(); ++i)
      s.inner.insert(step.results[i]);
    s.steps.push_back(std::move(step));
  }
  if (next != stage.tileNodes.size())
    throw RuntimeError("internal error: a stage schedule leaves out " +
                       program.nodes[stage.tileNodes[next]].describe());

  std::set<int> produced(s.computed);
  produced.insert(s.inner.begin(), s.inner.end());
  for (size_t i = 0; i < s.steps.size(); ++i)
    for (int id : s.steps[i].nodes)
      for (int v : program.nodes[id].operands) {
        s.lastUse[v] = i;
        if (!produced.count(v))
          s.loaded.insert(v);
      }
  for (int v : stage.sinks)
    s.lastUse[v] = s.steps.size();
  s.releasedAfter.assign(s.steps.size(), {});
  for (const auto &[v, step] : s.lastUse)
    if (step < s.steps.size())
      s.releasedAfter[step].push_back(v);
  return s;
}

} // namespace sstep::plan
