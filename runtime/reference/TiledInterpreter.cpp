//===- TiledInterpreter.cpp - Runs a partitioned Program tile by tile -----===//

#include "runtime/reference/TiledInterpreter.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/plan/Stages.h"
#include "runtime/plan/Tiling.h"
#include "runtime/reference/Interpreter.h"
#include "runtime/reference/Kernels.h"

#include <cmath>
#include <limits>
#include <map>

namespace sstep::reference {
namespace {

/// Per-tile partial results of one reduce node: fp64 sums or maxima per
/// (batch, channel).
struct Reducer {
  bool mean = true;
  Shape shape;
  std::vector<double> acc;
  int64_t pixels = 0;

  void add(const Tensor &block) {
    int64_t planes = block.dim(0) * block.dim(1);
    int64_t n = block.dim(2) * block.dim(3);
    if (acc.empty()) {
      shape = {block.dim(0), block.dim(1), 1, 1};
      acc.assign(planes, mean ? 0.0 : -std::numeric_limits<double>::infinity());
    }
    for (int64_t p = 0; p < planes; ++p)
      for (int64_t i = 0; i < n; ++i) {
        double v = block.data[p * n + i];
        if (mean)
          acc[p] += v;
        else if (v > acc[p] || std::isnan(v))
          acc[p] = std::isnan(acc[p]) ? acc[p] : v;
      }
    pixels += n;
  }

  Tensor finish() const {
    Tensor out(shape);
    for (size_t p = 0; p < acc.size(); ++p)
      out.data[p] = float(mean ? acc[p] / double(pixels) : acc[p]);
    return out;
  }
};

class TiledRun {
public:
  TiledRun(const Program &program, int64_t tileEdge, TiledStats &stats)
      : program(program), stages(plan::planStages(program)), tileEdge(tileEdge),
        stats(stats) {}

  std::vector<Tensor> run(std::vector<Tensor> inputs);

private:
  void runStage(const plan::Stage &stage);
  void runTile(const plan::Stage &stage, const plan::TileWindows &w);
  void runOnce(int id);
  void runTileNode(const Node &node, const plan::TileWindows &w);
  void store(int v, Tensor t);
  const Tensor &storedValue(int v) const;
  const Tensor &tileValue(int v, const plan::TileWindows &w);

  const Program &program;
  plan::Stages stages;
  int64_t tileEdge;
  TiledStats &stats;
  std::vector<Tensor> stored;
  plan::Sizes sizes;
  std::map<int, Reducer> reducers;
  /// The current tile's blocks, by value.
  std::map<int, Tensor> tile;
  /// Per value read in the current stage: the step of its last reader
  /// (sinks: past the end), after which the tile drops it.
  std::map<int, size_t> lastUse;
};

const Tensor &TiledRun::storedValue(int v) const {
  auto constant = program.constants.find(v);
  return constant != program.constants.end() ? constant->second : stored[v];
}

void TiledRun::store(int v, Tensor t) {
  if (t.rank() == 4)
    sizes[v] = {t.dim(2), t.dim(3)};
  stored[v] = std::move(t);
}

std::vector<Tensor> TiledRun::run(std::vector<Tensor> inputs) {
  if (inputs.size() != program.inputs.size())
    throw RuntimeError("the model takes " +
                       std::to_string(program.inputs.size()) +
                       " inputs, given " + std::to_string(inputs.size()));
  stored.assign(program.values.size(), Tensor());
  sizes.assign(program.values.size(), {-1, -1});
  for (const auto &[v, tensor] : program.constants)
    if (tensor.rank() == 4)
      sizes[v] = {tensor.dim(2), tensor.dim(3)};
  for (size_t i = 0; i < inputs.size(); ++i) {
    checkInput(program.values[program.inputs[i]], inputs[i]);
    store(program.inputs[i], std::move(inputs[i]));
  }
  for (const plan::Stage &stage : stages.stages)
    runStage(stage);
  std::vector<Tensor> outputs;
  for (int v : program.outputs)
    outputs.push_back(storedValue(v));
  return outputs;
}

void TiledRun::runOnce(int id) {
  const Node &node = program.nodes[id];
  auto kernel = kernels().find(node.op);
  if (kernel == kernels().end())
    throw RuntimeError(node.describe() + ": no reference kernel for this op");
  Operands operands;
  for (int v : node.operands)
    operands.push_back(&storedValue(v));
  std::vector<Tensor> results = kernel->second(node, operands);
  for (size_t r = 0; r < results.size(); ++r)
    store(node.results[r], std::move(results[r]));
}

void TiledRun::runStage(const plan::Stage &stage) {
  for (int id : stage.globalNodes)
    runOnce(id);
  plan::inferTileSizes(program, stage, sizes);
  plan::StageTiling tiling(program, stage, sizes, tileEdge);
  stats.grids.push_back(tiling.grid());
  reducers.clear();
  lastUse.clear();
  for (size_t step = 0; step < stage.tileNodes.size(); ++step)
    for (int v : program.nodes[stage.tileNodes[step]].operands)
      lastUse[v] = step;
  for (int v : stage.sinks)
    lastUse[v] = stage.tileNodes.size();
  for (int id : stage.reduceNodes)
    reducers[id].mean = program.nodes[id].reduction == "mean";
  for (int64_t r = 0; r < tiling.grid()[0]; ++r)
    for (int64_t c = 0; c < tiling.grid()[1]; ++c)
      runTile(stage, tiling.windows(r, c));
  for (int id : stage.reduceNodes)
    store(program.nodes[id].results[0], reducers[id].finish());
  for (int id : stage.wholeNodes)
    runOnce(id);
}

const Tensor &TiledRun::tileValue(int v, const plan::TileWindows &w) {
  auto it = tile.find(v);
  if (it != tile.end())
    return it->second;
  if (w.compute[v].empty()) {
    // The consumer reads only border here (a pad's constant, a conv's
    // zeros): an empty block.
    const Shape &shape = program.values[v].shape;
    return tile[v] = Tensor({std::max<int64_t>(shape[0], 1),
                             std::max<int64_t>(shape[1], 1), 0, 0});
  }
  // A value from outside the stage: crop what the tile reads.
  const Tensor &whole = storedValue(v);
  Region all = Region::whole(sizes[v]);
  if (numElements(whole.shape) == 0 || whole.rank() != 4 ||
      !all.contains(w.compute[v]))
    throw RuntimeError("internal error: the tile reads " +
                       formatRegion(w.compute[v]) + " of '" +
                       program.values[v].name + "', which holds " +
                       formatShape(whole.shape));
  return tile[v] = crop(whole, all, w.compute[v]);
}

void TiledRun::runTileNode(const Node &node, const plan::TileWindows &w) {
  int result = node.results[0];
  Placed to{w.compute[result], sizes[result]};
  Operands operands;
  std::vector<Placed> placed;
  std::vector<Tensor> crops; // operands cropped to the output block
  crops.reserve(node.operands.size());
  auto region = regionKernels().find(node.op);
  for (size_t i = 0; i < node.operands.size(); ++i) {
    int v = node.operands[i];
    if (!node.window->spatial[i]) {
      operands.push_back(&storedValue(v));
      placed.push_back({});
      continue;
    }
    const Tensor &block = tileValue(v, w);
    Placed from{w.compute[v], sizes[v]};
    Region reads = from.region;
    for (unsigned axis = 0; axis < 2; ++axis) {
      if (sizes[v][axis] == 1 && to.image[axis] != 1)
        continue; // broadcast
      reads.axes[axis] = node.window->axes[axis]
                             .inputInterval(to.region.axes[axis],
                                            sizes[v][axis], to.image[axis])
                             .intersect({0, sizes[v][axis] - 1});
    }
    if (!from.region.contains(reads))
      throw RuntimeError(
          node.describe() + ": the tile holds " + formatRegion(from.region) +
          " of '" + program.values[v].name + "' but computing " +
          formatRegion(to.region) + " reads " + formatRegion(reads));
    if (region != regionKernels().end()) {
      operands.push_back(&block);
    } else {
      Region part = to.region;
      for (unsigned axis = 0; axis < 2; ++axis)
        if (sizes[v][axis] == 1 && to.image[axis] != 1)
          part.axes[axis] = {0, 0};
      crops.push_back(crop(block, from.region, part));
      operands.push_back(&crops.back());
    }
    placed.push_back(from);
  }
  std::vector<Tensor> results;
  if (region != regionKernels().end()) {
    results = region->second(node, operands, placed, to);
  } else {
    auto kernel = kernels().find(node.op);
    if (kernel == kernels().end())
      throw RuntimeError(node.describe() + ": no reference kernel for this op");
    results = kernel->second(node, operands);
  }
  Tensor &out = results[0];
  if (out.rank() != 4 || out.dim(2) != to.region.axes[0].size() ||
      out.dim(3) != to.region.axes[1].size())
    throw RuntimeError(node.describe() + ": computed " +
                       formatShape(out.shape) + " for the block " +
                       formatRegion(to.region));
  tile[result] = std::move(out);
}

void TiledRun::runTile(const plan::Stage &stage, const plan::TileWindows &w) {
  tile.clear();
  ++stats.tilesRun;
  for (size_t step = 0; step < stage.tileNodes.size(); ++step) {
    const Node &node = program.nodes[stage.tileNodes[step]];
    if (!w.compute[node.results[0]].empty())
      runTileNode(node, w);
    int64_t live = 0;
    for (const auto &[v, block] : tile)
      live += block.size() * int64_t(sizeof(float));
    stats.peakTileBytes = std::max(stats.peakTileBytes, live);
    for (int v : node.operands)
      if (lastUse[v] == step)
        tile.erase(v);
  }
  for (int v : stage.sinks) {
    const Region &owned = w.owned[v];
    if (owned.empty())
      continue;
    const Tensor &block = tileValue(v, w);
    if (stages.stored[v] && stages.producer[v] >= 0) {
      Tensor &whole = stored[v];
      if (whole.data.empty())
        whole = Tensor({block.dim(0), block.dim(1), sizes[v][0], sizes[v][1]});
      paste(whole, Region::whole(sizes[v]), block, w.compute[v], owned);
    }
    for (int id : stage.reduceNodes)
      if (program.nodes[id].operands[0] == v)
        reducers[id].add(crop(block, w.compute[v], owned));
  }
}

} // namespace

std::vector<Tensor> runTiled(const Program &program, std::vector<Tensor> inputs,
                             int64_t tileEdge, TiledStats *stats) {
  TiledStats local;
  TiledRun run(program, tileEdge, stats ? *stats : local);
  return run.run(std::move(inputs));
}

} // namespace sstep::reference
