//===- Tiling.cpp - Tile grids and the windows each tile computes ---------===//

#include "runtime/plan/Tiling.h"
#include "runtime/core/RuntimeError.h"

#include <algorithm>

namespace sstep::plan {
namespace {

constexpr Size2 unknown{-1, -1};

Size2 shapeSize(const ValueInfo &info) {
  if (info.shape.size() != 4 || info.shape[2] < 0 || info.shape[3] < 0)
    return unknown;
  return {info.shape[2], info.shape[3]};
}

/// A resize whose size comes from its `like` operand.
bool sizedLike(const Node &node) {
  const AxisRule &rule = node.window->axes[0];
  return rule.kind == AxisRule::Kind::Resize && rule.scale <= 0 &&
         rule.fixedSize <= 0;
}

Size2 resultSize(const Program &program, const Node &node, const Sizes &sizes) {
  if (!node.window)
    throw RuntimeError(node.describe() +
                       ": a tiled node without a window rule");
  Size2 in = unknown;
  for (size_t i = 0; i < node.operands.size(); ++i) {
    if (!node.window->spatial[i])
      continue;
    Size2 s = sizes[node.operands[i]];
    if (s[0] < 0)
      throw RuntimeError(node.describe() + ": the size of '" +
                         program.values[node.operands[i]].name +
                         "' is unknown");
    // Identity rules broadcast a 1-pixel axis.
    in = {std::max(in[0], s[0]), std::max(in[1], s[1])};
  }
  if (in[0] < 0)
    throw RuntimeError(node.describe() + ": no image operand to tile");
  Size2 like = sizedLike(node) ? sizes[node.operands[1]] : unknown;
  Size2 out;
  for (unsigned axis = 0; axis < 2; ++axis)
    out[axis] = node.window->axes[axis].outputSize(in[axis], like[axis]);
  if (out[0] < 1 || out[1] < 1)
    throw RuntimeError(node.describe() + ": gives an empty image for a " +
                       std::to_string(in[0]) + "x" + std::to_string(in[1]) +
                       " input");
  return out;
}

} // namespace

void inferTileSizes(const Program &program, const Stage &stage, Sizes &sizes) {
  for (int id : stage.tileNodes) {
    const Node &node = program.nodes[id];
    sizes[node.results[0]] = resultSize(program, node, sizes);
  }
}

Sizes predictSizes(const Program &program, const Stages &stages, Size2 input) {
  Sizes sizes(program.values.size(), unknown);
  for (int v : program.inputs)
    sizes[v] = input;
  for (const auto &[v, shape] : program.constants.shapes())
    sizes[v] = shapeSize(program.values[v]);
  for (const Stage &stage : stages.stages) {
    inferTileSizes(program, stage, sizes);
    for (int id : stage.wholeNodes) {
      const Node &node = program.nodes[id];
      for (int r : node.results) {
        if (program.values[r].shape.size() != 4)
          continue;
        for (int v : node.operands)
          if (sizes[v][0] >= 0 && sizes[r][0] < 0)
            sizes[r] = sizes[v];
      }
    }
  }
  return sizes;
}

StageTiling::StageTiling(const Program &program, const Stage &stage,
                         const Sizes &sizes, Size2 tileShape)
    : program(program), stage(stage), sizes(sizes) {
  for (int v : stage.sinks) {
    if (sizes[v][0] < 0)
      throw RuntimeError("the size of '" + program.values[v].name +
                         "' is unknown");
    if (anchorValue < 0 || sizes[v][0] * sizes[v][1] >
                               sizes[anchorValue][0] * sizes[anchorValue][1])
      anchorValue = v;
  }
  if (anchorValue < 0)
    return;
  Size2 anchorSize = sizes[anchorValue];
  Size2 input = program.inputs.empty() ? anchorSize : sizes[program.inputs[0]];
  for (unsigned axis = 0; axis < 2; ++axis) {
    int64_t edge = tileShape[axis] <= 0 ? anchorSize[axis]
                                        : tileShape[axis] * anchorSize[axis] /
                                              std::max<int64_t>(input[axis], 1);
    tile[axis] = std::clamp<int64_t>(edge, 1, anchorSize[axis]);
    count[axis] = (anchorSize[axis] + tile[axis] - 1) / tile[axis];
  }
}

Interval StageTiling::ownedInterval(int value, unsigned axis,
                                    int64_t index) const {
  // Block boundaries of the anchor, scaled to the sink's size: monotone, so
  // the blocks of any sink are disjoint and cover it.
  int64_t anchorSize = sizes[anchorValue][axis];
  int64_t size = sizes[value][axis];
  auto bound = [&](int64_t i) {
    return std::min(i * tile[axis], anchorSize) * size / anchorSize;
  };
  return {bound(index), bound(index + 1) - 1};
}

Region StageTiling::share(int value, int64_t row, int64_t col) const {
  return {{ownedInterval(value, 0, row), ownedInterval(value, 1, col)}};
}

namespace {

/// The rows of `window` below `above` (the same value's window in the tile
/// above), or all of `window` when `above` does not hold its top rows.
Region freshRows(const Region &window, const Region &above) {
  // Windows usually move down with the tile, but not always (an edge pad's
  // border rows read the image's first row): reuse needs the kept rows to
  // be the top of the window.
  if (window.empty() || above.empty() || window.axes[1] != above.axes[1] ||
      window.axes[0].lo < above.axes[0].lo ||
      above.axes[0].hi < window.axes[0].lo)
    return window;
  Region fresh = window;
  fresh.axes[0].lo = above.axes[0].hi + 1;
  return fresh.axes[0].empty() ? Region{} : fresh;
}

} // namespace

TileWindows StageTiling::windows(int64_t row, int64_t col) const {
  return infer(row, col, nullptr);
}

TileWindows StageTiling::windowsBelow(const TileWindows &above, int64_t row,
                                      int64_t col) const {
  return infer(row, col, &above);
}

TileWindows StageTiling::infer(int64_t row, int64_t col,
                               const TileWindows *above) const {
  TileWindows w;
  size_t values = program.values.size();
  w.compute.assign(values, Region{});
  w.owned.assign(values, Region{});
  if (above)
    w.fresh.assign(values, Region{});
  std::vector<Region> need(values, Region{});
  for (int v : stage.sinks) {
    w.owned[v] = share(v, row, col);
    need[v] = w.owned[v];
  }
  auto clip = [&](int v) { return need[v].intersect(Region::whole(sizes[v])); };
  for (auto it = stage.tileNodes.rbegin(); it != stage.tileNodes.rend(); ++it) {
    const Node &node = program.nodes[*it];
    int result = node.results[0];
    Region out = w.compute[result] = clip(result);
    // Chained, only the fresh rows are computed, so only they read the
    // operands.
    if (above)
      out = w.fresh[result] = freshRows(out, above->compute[result]);
    if (out.empty())
      continue;
    for (size_t i = 0; i < node.operands.size(); ++i) {
      if (!node.window->spatial[i])
        continue;
      int v = node.operands[i];
      Region in;
      for (unsigned axis = 0; axis < 2; ++axis) {
        // A 1-pixel axis broadcast over the output is read whole.
        in.axes[axis] =
            sizes[v][axis] == 1 && sizes[result][axis] != 1
                ? Interval{0, 0}
                : node.window->axes[axis].inputInterval(
                      out.axes[axis], sizes[v][axis], sizes[result][axis]);
      }
      need[v] = need[v].hull(in);
    }
  }
  w.need = need;
  // Values from outside the stage (inputs, stored values, constants) are
  // cropped to what the tile reads.
  for (size_t v = 0; v < values; ++v)
    if (w.compute[v].empty() && !need[v].empty()) {
      w.compute[v] = clip(static_cast<int>(v));
      if (above)
        w.fresh[v] = freshRows(w.compute[v], above->compute[v]);
    }
  return w;
}

void keepFor(TileWindows &above, const TileWindows &below) {
  above.keep.assign(below.compute.size(), Region{});
  for (size_t v = 0; v < below.compute.size(); ++v) {
    Region kept = below.compute[v];
    const Region &fresh = below.fresh[v];
    if (kept.empty() || fresh == kept)
      continue;
    if (!fresh.empty())
      kept.axes[0].hi = fresh.axes[0].lo - 1;
    above.keep[v] = kept;
  }
}

} // namespace sstep::plan
