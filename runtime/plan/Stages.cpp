//===- Stages.cpp - The tile groups of a partitioned Program --------------===//

#include "runtime/plan/Stages.h"
#include "runtime/core/RuntimeError.h"

#include <algorithm>

namespace sstep::plan {
namespace {

/// The stage from which a node's result may be read by another stage.
int readyStage(const Node &node) {
  bool afterTiles = node.role == Role::Reduce || node.role == Role::Whole;
  return node.stage + (afterTiles ? 1 : 0);
}

void addUnique(std::vector<int> &list, int v) {
  if (std::find(list.begin(), list.end(), v) == list.end())
    list.push_back(v);
}

} // namespace

Stages planStages(const Program &program) {
  Stages result;
  size_t values = program.values.size();
  result.stored.assign(values, false);
  result.producer.assign(values, -1);
  for (int v : program.inputs)
    result.stored[v] = true;
  for (const auto &[v, shape] : program.constants.shapes())
    result.stored[v] = true;

  int last = 0;
  for (const Node &node : program.nodes) {
    if (node.role == Role::None)
      throw RuntimeError(node.describe() + ": not partitioned");
    last = std::max(last, readyStage(node));
  }
  result.stages.resize(last + 1);

  for (size_t i = 0; i < program.nodes.size(); ++i) {
    const Node &node = program.nodes[i];
    Stage &stage = result.stages[node.stage];
    int id = static_cast<int>(i);
    for (int r : node.results) {
      result.producer[r] = id;
      result.stored[r] = node.role != Role::Tile;
    }
    for (int v : node.operands) {
      int from = result.producer[v];
      if (from < 0)
        continue;
      const Node &producer = program.nodes[from];
      bool sameGroup = producer.role == Role::Tile &&
                       node.role != Role::Whole && producer.stage == node.stage;
      if (!sameGroup && readyStage(producer) > node.stage)
        throw RuntimeError(node.describe() + ": reads '" +
                           program.values[v].name + "' before it is ready");
      if (producer.role == Role::Tile && !sameGroup)
        result.stored[v] = true;
    }
    switch (node.role) {
    case Role::Tile:
      stage.tileNodes.push_back(id);
      break;
    case Role::Reduce:
      if (node.reduction != "mean" && node.reduction != "max" &&
          node.reduction != "sum")
        throw RuntimeError(node.describe() +
                           ": cannot combine per-tile results of '" +
                           node.reduction + "'");
      stage.reduceNodes.push_back(id);
      addUnique(stage.sinks, node.operands[0]);
      break;
    case Role::Whole:
      stage.wholeNodes.push_back(id);
      break;
    case Role::Global:
    case Role::None:
      stage.globalNodes.push_back(id);
      break;
    }
  }
  for (int v : program.outputs)
    if (result.producer[v] >= 0)
      result.stored[v] = true;
  // A stored value computed by tiles is each tile's to fill.
  for (size_t v = 0; v < values; ++v) {
    int from = result.producer[v];
    if (from >= 0 && result.stored[v] && program.nodes[from].role == Role::Tile)
      addUnique(result.stages[program.nodes[from].stage].sinks,
                static_cast<int>(v));
  }
  return result;
}

} // namespace sstep::plan
