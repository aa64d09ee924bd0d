//===- ForwardStages.cpp - What a staged trunk's stages read across -------===//
//
// Before the stages run backward, last first, each needs what the forward
// pass gave it from earlier stages: the images it reads, whole, and the
// small results of reductions and global nodes. The last stage's tiles are
// not run here: its backward tiles compute them.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/exec/Reducer.h"
#include "runtime/train/BackwardPlan.h"
#include "runtime/train/BackwardRun.h"

#include <cmath>

namespace sstep::train::detail {
namespace {

bool before(int64_t y, int64_t x, int64_t y2, int64_t x2) {
  return y < y2 || (y == y2 && x < x2);
}

} // namespace

void countMaxima(std::vector<Run::TiedMax> &best, const Tensor &part) {
  const int64_t pixels = part.dim(2) * part.dim(3);
  best.resize(size_t(part.dim(0) * part.dim(1)));
  for (size_t p = 0; p < best.size(); ++p) {
    Run::TiedMax &b = best[p];
    const float *plane = part.data.data() + int64_t(p) * pixels;
    for (int64_t i = 0; i < pixels && !b.nan; ++i) {
      float v = plane[i];
      if (std::isnan(v))
        b = {v, 1, true};
      else if (b.count == 0 || v > b.value)
        b = {v, 1, false};
      else if (v == b.value)
        ++b.count;
    }
  }
}

void findMaxima(std::vector<Run::Argmax> &best, const Tensor &part,
                const Region &owned) {
  const int64_t rows = part.dim(2), cols = part.dim(3);
  best.resize(size_t(part.dim(0) * part.dim(1)));
  for (size_t p = 0; p < best.size(); ++p) {
    Run::Argmax &b = best[p];
    const float *plane = part.data.data() + int64_t(p) * rows * cols;
    for (int64_t y = 0; y < rows; ++y)
      for (int64_t x = 0; x < cols; ++x) {
        float v = plane[y * cols + x];
        int64_t Y = owned.axes[0].lo + y, X = owned.axes[1].lo + x;
        // A scan in row-major order keeps the first maximum, or the last
        // NaN: blocks in any order, compared by position, agree with it.
        bool take = std::isnan(v)
                        ? !b.nan || before(b.y, b.x, Y, X)
                        : !b.nan && (b.y < 0 || v > b.value ||
                                     (v == b.value && before(Y, X, b.y, b.x)));
        if (take)
          b = {v, Y, X, std::isnan(v)};
      }
  }
}

void Run::forwardStages() {
  const int last = int(stages.stages.size()) - 1;
  // A forward tile holds no more than the first forward pass of the same
  // tile backward (which keeps, besides, what its VJPs read): the peak is
  // the backward tiles', which BackwardPlan.h predicts.
  const int64_t peak = stats.peakTileBytes;
  for (int s = 0; s <= last; ++s) {
    for (int id : stages.stages[size_t(s)].globalNodes)
      runGlobal(program.nodes[size_t(id)]);
    if (s < last)
      forwardTiles(s);
  }
  stats.peakTileBytes = peak;
}

void Run::runGlobal(const Node &node) {
  reference::Operands operands;
  for (int v : node.operands) {
    const Tensor &t = wholeOf(v);
    if (t.data.empty() && numElements(t.shape) != 0)
      throw RuntimeError("internal error: " + node.describe() + " reads '" +
                         program.values[v].name + "', not computed");
    operands.push_back(&t);
  }
  auto start = Clock::now();
  std::vector<Tensor> results =
      reference::kernels().at(node.op)(node, operands);
  stats.forwardSeconds[node.op] += since(start);
  stored[node.results[0]] = std::move(results.at(0));
  noteStored();
}

void Run::forwardTiles(int s) {
  const plan::Stage &stage = stages.stages[size_t(s)];
  std::map<int, exec::Reducer> reducers;
  std::map<int, std::vector<int>> reducedBy; // value -> its reduce nodes
  for (int id : stage.reduceNodes) {
    const Node &node = program.nodes[size_t(id)];
    reducers.emplace(id, exec::Reducer(exec::reduceKindOf(node)));
    reducedBy[node.operands[0]].push_back(id);
  }
  const std::vector<bool> kept = readByLaterStages(program);
  // The last tile node reading each value: its block goes after it.
  std::map<int, size_t> lastRead;
  for (size_t k = 0; k < stage.tileNodes.size(); ++k) {
    const Node &node = program.nodes[size_t(stage.tileNodes[k])];
    for (size_t i = 0; i < node.operands.size(); ++i)
      if (node.window->spatial[i])
        lastRead[node.operands[i]] = k;
  }
  // A value the stage produces goes to its reductions and, if a later
  // stage reads it, into its whole image, over the tile's owned block.
  auto sink = [&](int v, const Tensor &block, const Region &held,
                  const plan::TileWindows &w) {
    const Region &owned = w.owned[size_t(v)];
    if (owned.empty())
      return;
    if (auto by = reducedBy.find(v); by != reducedBy.end()) {
      Tensor part = crop(block, held, owned);
      for (int id : by->second) {
        reducers.at(id).add(part);
        const Node &node = program.nodes[size_t(id)];
        if (node.op == "global_max_pool2d" && node.attrs.count("split_ties"))
          countMaxima(tiedMax[id], part);
        else if (node.op == "global_max_pool2d")
          findMaxima(argmax[id], part, owned);
      }
    }
    if (!kept[size_t(v)])
      return;
    if (!images.has(v)) {
      images.create(v, program.values[v].name, imageShape(v));
      noteStored();
    }
    images.write(v, block, held, owned);
  };

  plan::StageTiling tiling(program, stage, sizes, options.tiles);
  for (int64_t r = 0; r < tiling.grid()[0]; ++r)
    for (int64_t c = 0; c < tiling.grid()[1]; ++c) {
      plan::TileWindows w = tiling.windows(r, c);
      blocks.clear();
      if (reducedBy.count(in) && !w.owned[size_t(in)].empty())
        sink(in, input.read(w.owned[size_t(in)]), w.owned[size_t(in)], w);
      for (size_t k = 0; k < stage.tileNodes.size(); ++k) {
        const Node &node = program.nodes[size_t(stage.tileNodes[k])];
        const int result = node.results[0];
        forwardStep(node, w);
        if (auto it = blocks.find(result); it != blocks.end())
          sink(result, it->second, w.compute[result], w);
        for (int v : node.operands)
          if (auto last = lastRead.find(v);
              last != lastRead.end() && last->second == k)
            blocks.erase(v);
        if (!lastRead.count(result))
          blocks.erase(result);
      }
    }
  blocks.clear();
  for (int id : stage.reduceNodes) {
    const Node &node = program.nodes[size_t(id)];
    stored[node.results[0]] = reducers.at(id).finish(node);
  }
  noteStored();
}

} // namespace sstep::train::detail
