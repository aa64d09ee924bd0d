//===- BackwardTile.cpp - One tile of a stage, forward then back ----------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/train/BackwardRun.h"

#include <algorithm>

namespace sstep::train::detail {
namespace {

bool allZero(const Tensor &t) {
  return std::all_of(t.data.begin(), t.data.end(),
                     [](float v) { return v == 0.0f; });
}

int64_t bytesOf(const std::map<int, Tensor> &blocks) {
  int64_t bytes = 0;
  for (const auto &[v, t] : blocks)
    bytes += t.size() * int64_t(sizeof(float));
  return bytes;
}

} // namespace

std::map<int, Tensor> Run::seedsOf(int s, const plan::TileWindows &w) {
  std::map<int, Tensor> seeds;
  bool any = false;
  for (int v : stages.stages[size_t(s)].sinks) {
    const Region &owned = w.owned[size_t(v)];
    bool summed = imageGrads.has(v);
    auto perPlane = spread.find(v);
    auto point = points.find(v);
    bool tied = ties.count(v) > 0; // where, the tile's block of v says
    if (tileStage[size_t(v)] != s || owned.empty() ||
        (v != out && !summed && perPlane == spread.end() &&
         point == points.end() && !tied))
      continue;
    any = any || tied;
    Tensor seed = v == out
                      ? outputGrad.read(owned)
                      : Tensor({inputShape[0], program.values[v].shape[1],
                                owned.axes[0].size(), owned.axes[1].size()});
    if (summed)
      addTo(seed, imageGrads.read(v, owned));
    if (perPlane != spread.end()) {
      int64_t plane = owned.pixels();
      for (size_t p = 0; p < perPlane->second.size(); ++p) {
        float add = float(perPlane->second[p]);
        float *to = seed.data.data() + int64_t(p) * plane;
        for (int64_t i = 0; i < plane; ++i)
          to[i] += add;
      }
    }
    if (point != points.end())
      for (const Point &p : point->second)
        if (owned.axes[0].contains(p.y) && owned.axes[1].contains(p.x))
          seed.data[(p.plane * owned.axes[0].size() + p.y - owned.axes[0].lo) *
                        owned.axes[1].size() +
                    p.x - owned.axes[1].lo] += float(p.grad);
    any = any || !allZero(seed);
    seeds.emplace(v, std::move(seed));
  }
  if (!any)
    seeds.clear();
  return seeds;
}

void Run::runTile(int s, const plan::TileWindows &w,
                  std::map<int, Tensor> seeds) {
  // The last tile's blocks and gradients go before this tile's arrive.
  blocks.clear();
  grads.clear();
  const plan::Stage &stage = stages.stages[size_t(s)];
  for (const BackwardStep &step : schedules[size_t(s)].steps) {
    const Node &node = program.nodes[size_t(stage.tileNodes[step.index])];
    if (step.kind == BackwardStep::Forward)
      forwardStep(node, w);
    else
      vjpStep(node, w, seeds);
    // A block no later step reads goes; its shape stays for the
    // gradients' shapes.
    for (int v : step.released) {
      auto it = blocks.find(v);
      if (it != blocks.end())
        it->second.data = FloatBuffer();
    }
  }
  addImageGradients(s, w);
  kernels->endTile();
}

void Run::forwardStep(const Node &node, const plan::TileWindows &w) {
  int r = node.results[0];
  if (w.compute[r].empty())
    return;
  auto start = Clock::now();
  Tensor block = kernels->forward(
      node, program, sizes, w,
      [&](int v) -> const Tensor & { return blockOf(v, w); },
      [&](int v) -> const Tensor & { return wholeOf(v); });
  stats.forwardSeconds[node.op] += since(start);
  blocks[r] = std::move(block);
  note();
}

void Run::vjpStep(const Node &node, const plan::TileWindows &w,
                  std::map<int, Tensor> &seeds) {
  int r = node.results[0];
  if (w.compute[r].empty())
    return;
  // What later stages and the output ask of this value, over the block
  // the tile owns, joins what the tile's own readers gave it.
  if (ties.count(r))
    addTies(r, w);
  if (auto seed = seeds.find(r); seed != seeds.end()) {
    Tensor e =
        reference::embed(std::move(seed->second), w.owned[r], w.compute[r]);
    seeds.erase(seed);
    auto [at, fresh] = grads.try_emplace(r);
    if (fresh)
      at->second = std::move(e);
    else
      addTo(at->second, e);
  }
  auto g = grads.find(r);
  if (g == grads.end())
    return; // nothing of the loss flows through it
  reference::Operands operands;
  std::vector<Placed> placed;
  std::vector<bool> wanted;
  for (size_t i = 0; i < node.operands.size(); ++i) {
    int v = node.operands[i];
    bool spatial = node.window->spatial[i];
    operands.push_back(spatial ? &blockOf(v, w) : &wholeOf(v));
    placed.push_back(spatial ? Placed{w.compute[v], sizes[v]} : Placed{});
    wanted.push_back(node.vjp->grads[i] && (v != in || options.inputGradient));
  }
  Placed to{w.compute[r], sizes[r]};
  auto start = Clock::now();
  std::vector<Tensor> dx = kernels->vjp(reference::VjpArgs{
      node, operands, placed, blocks.at(r), g->second, to, wanted});
  stats.vjpSeconds[node.op] += since(start);
  grads.erase(g);
  blocks.erase(r); // every reader's VJP has run
  for (size_t i = 0; i < node.operands.size(); ++i) {
    int v = node.operands[i];
    if (!wanted[i] || dx[i].data.empty() ||
        (node.window->spatial[i] && w.compute[v].empty()))
      continue;
    if (!node.window->spatial[i]) {
      addGradient(v, dx[i]);
      continue;
    }
    auto [at, fresh] = grads.emplace(v, std::move(dx[i]));
    if (!fresh)
      addTo(at->second, dx[i]);
  }
  note();
}

void Run::addTies(int r, const plan::TileWindows &w) {
  // The schedule keeps r's block until this step (BackwardSchedule.cpp).
  const Tensor &x = blocks.at(r);
  const Region &owned = w.owned[size_t(r)], &block = w.compute[r];
  auto [at, fresh] = grads.try_emplace(r);
  if (fresh)
    at->second = Tensor(x.shape);
  Tensor &g = at->second;
  const int64_t rows = block.axes[0].size(), cols = block.axes[1].size();
  for (const Tie &t : ties.at(r))
    for (int64_t y = owned.axes[0].lo; y <= owned.axes[0].hi; ++y) {
      int64_t row =
          (t.plane * rows + y - block.axes[0].lo) * cols - block.axes[1].lo;
      for (int64_t c = owned.axes[1].lo; c <= owned.axes[1].hi; ++c)
        if (x.data[row + c] == t.value)
          g.data[row + c] += float(t.grad);
    }
}

void Run::addImageGradients(int s, const plan::TileWindows &w) {
  for (const auto &[v, g] : grads) {
    if (tileStage[size_t(v)] == s || w.compute[v].empty())
      continue;
    if (v == in) {
      if (options.inputGradient)
        addBlock(inputSum, Region::whole({inputShape[2], inputShape[3]}), g,
                 w.compute[v]);
      continue;
    }
    if (!imageGrads.has(v)) {
      imageGrads.create(v, program.values[v].name, imageShape(v));
      noteStored();
    }
    imageGrads.add(v, g, w.compute[v]);
  }
}

const Tensor &Run::blockOf(int v, const plan::TileWindows &w) {
  auto it = blocks.find(v);
  if (it != blocks.end())
    return it->second;
  if (w.compute[v].empty())
    return blocks[v] = reference::borderOnlyBlock(program.values[v]);
  if (v == in)
    return blocks[v] = input.read(w.compute[v]);
  if (!images.has(v))
    throw RuntimeError("internal error: no block of '" +
                       program.values[v].name + "' in the tile");
  return blocks[v] = images.read(v, w.compute[v]);
}

const Tensor &Run::wholeOf(int v) const {
  static const Tensor none;
  if (program.constants.contains(v))
    return program.constants.get(v);
  auto small = stored.find(v);
  return small != stored.end() ? small->second : none;
}

void Run::note() {
  stats.peakTileBytes =
      std::max(stats.peakTileBytes, bytesOf(blocks) + bytesOf(grads));
}

} // namespace sstep::train::detail
