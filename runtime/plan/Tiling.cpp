//===- Tiling.cpp - Tile grids and the windows each tile computes ---------===//

#include "runtime/plan/Tiling.h"
#include "runtime/core/RuntimeError.h"

#include <algorithm>
#include <limits>

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
  // Values whose H and W the program fixes (constants, what follows a
  // global pool) are known before any stage runs: a tile node of a later
  // stage may read one before the whole nodes of its own stage make it
  // (ASPP's pooled branch, resized like the feature map).
  Sizes sizes(program.values.size(), unknown);
  for (size_t v = 0; v < program.values.size(); ++v)
    sizes[v] = shapeSize(program.values[v]);
  for (int v : program.inputs)
    sizes[v] = input;
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
/// `window` widened to the columns of `above` when those contain it and the
/// rows chain (see freshRows): the kept rows then serve it. A reader that
/// skips columns (a 1x1 stride-2 convolution reads columns 0, 2, ..., 126
/// of 128) can ask the bottom tile for fewer columns than the tile above
/// computed; read as a new window, the value and everything before it were
/// computed again, back to the input (a ResNet-18 column's bottom tile
/// took twice a strip's memory).
Region alignColumns(const Region &window, const Region &above) {
  if (window.empty() || above.empty() ||
      !above.axes[1].contains(window.axes[1]) ||
      window.axes[0].lo < above.axes[0].lo ||
      above.axes[0].hi < window.axes[0].lo)
    return window;
  Region wide = window;
  wide.axes[1] = above.axes[1];
  return wide;
}

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

Interval StageTiling::readAxis(const Node &node, size_t operand, unsigned axis,
                               Interval out) const {
  int v = node.operands[operand], result = node.results[0];
  // A 1-pixel axis broadcast over the output is read whole.
  if (sizes[v][axis] == 1 && sizes[result][axis] != 1)
    return {0, 0};
  return node.window->axes[axis].inputInterval(out, sizes[v][axis],
                                               sizes[result][axis]);
}

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
    Region out = clip(result);
    // Chained, only the fresh rows are computed, so only they read the
    // operands.
    if (above)
      out = alignColumns(out, above->compute[result]);
    w.compute[result] = out;
    if (above)
      out = w.fresh[result] = freshRows(out, above->compute[result]);
    if (out.empty())
      continue;
    for (size_t i = 0; i < node.operands.size(); ++i) {
      if (!node.window->spatial[i])
        continue;
      int v = node.operands[i];
      Region in{
          {readRows(node, i, out.axes[0]), readAxis(node, i, 1, out.axes[1])}};
      need[v] = need[v].hull(in);
    }
  }
  w.need = need;
  // Values from outside the stage (inputs, stored values, constants) are
  // cropped to what the tile reads.
  for (size_t v = 0; v < values; ++v)
    if (w.compute[v].empty() && !need[v].empty()) {
      w.compute[v] = clip(static_cast<int>(v));
      if (above) {
        w.compute[v] = alignColumns(w.compute[v], above->compute[v]);
        w.fresh[v] = freshRows(w.compute[v], above->compute[v]);
      }
    }
  return w;
}

std::vector<TileWindows> StageTiling::primingWindows(int64_t row, int64_t col,
                                                     int64_t rows) const {
  std::vector<TileWindows> steps;
  if (rows <= 0 || anchorValue < 0)
    return steps;
  const TileWindows first = windows(row, col);
  size_t values = program.values.size();
  std::vector<bool> computed(values, false);
  for (int id : stage.tileNodes)
    computed[program.nodes[id].results[0]] = true;
  int64_t inputRows = program.inputs.empty()
                          ? sizes[anchorValue][0]
                          : std::max<int64_t>(sizes[program.inputs[0]][0], 1);
  auto rowsOf = [&](int v) { return first.compute[v].axes[0]; };
  std::vector<bool> pointwiseOnly(values, false), readAtAll(values, false);
  for (int id : stage.tileNodes) {
    const Node &node = program.nodes[id];
    for (size_t i = 0; i < node.operands.size(); ++i) {
      int v = node.operands[i];
      if (!node.window->spatial[i])
        continue;
      bool pointwise = node.window->axes[0].kind == AxisRule::Kind::Identity;
      pointwiseOnly[v] = (readAtAll[v] ? pointwiseOnly[v] : true) && pointwise;
      readAtAll[v] = true;
    }
  }
  for (int v : stage.sinks)
    pointwiseOnly[v] = false;

  // The last row of each value that the first `limit` input rows of the
  // tile determine: loaded values in proportion, computed ones as far as
  // their operands' rows so far reach. Returns whether any loaded value
  // still has rows beyond (else the tile itself is what is left).
  std::vector<int64_t> last(values);
  auto reach = [&](int64_t limit) {
    bool more = false;
    for (size_t v = 0; v < values; ++v) {
      Interval r = rowsOf(int(v));
      last[v] = r.lo - 1;
      if (r.empty() || computed[v])
        continue;
      int64_t share = (limit * sizes[v][0] + inputRows - 1) / inputRows;
      last[v] = std::min(r.hi, r.lo + share - 1);
      more |= last[v] < r.hi;
    }
    for (int id : stage.tileNodes) {
      const Node &node = program.nodes[id];
      int result = node.results[0];
      Interval r = rowsOf(result);
      auto determined = [&](int64_t hi) {
        for (size_t i = 0; i < node.operands.size(); ++i) {
          int v = node.operands[i];
          if (!node.window->spatial[i] || rowsOf(v).empty())
            continue;
          Interval in = readRows(node, i, {r.lo, hi});
          if (std::min(in.hi, sizes[v][0] - 1) > last[v])
            return false;
        }
        return true;
      };
      int64_t lo = r.lo - 1, hi = r.hi; // determined(lo) holds
      while (hi > lo) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        if (determined(mid))
          lo = mid;
        else
          hi = mid - 1;
      }
      last[result] = r.empty() ? r.lo - 1 : lo;
    }
    // Then values read only pixel by pixel (a convolution's output under
    // its activation and residual add, which a backend fuses into one
    // step) no further than their readers, so that they keep their
    // readers' rows; loaded values no further than read.
    std::vector<int64_t> read(values);
    for (size_t v = 0; v < values; ++v)
      read[v] = rowsOf(int(v)).lo - 1;
    for (auto it = stage.tileNodes.rbegin(); it != stage.tileNodes.rend();
         ++it) {
      const Node &node = program.nodes[*it];
      int result = node.results[0];
      if (pointwiseOnly[result])
        last[result] = std::min(last[result], read[result]);
      if (last[result] < rowsOf(result).lo)
        continue;
      for (size_t i = 0; i < node.operands.size(); ++i) {
        int v = node.operands[i];
        if (!node.window->spatial[i] || rowsOf(v).empty())
          continue;
        Interval in = readRows(node, i, {rowsOf(result).lo, last[result]});
        read[v] = std::max(read[v], std::min(in.hi, sizes[v][0] - 1));
      }
    }
    for (size_t v = 0; v < values; ++v)
      if (!computed[v])
        last[v] = std::min(last[v], read[v]);
    return more;
  };

  // Per step, each value's rows computed up to (`ends`); the tile itself is
  // the step after the last.
  std::vector<std::vector<int64_t>> ends;
  for (int64_t p = 1; reach(p * rows); ++p)
    if (ends.empty() || last != ends.back())
      ends.push_back(last);
  if (ends.empty())
    return steps;
  std::vector<int64_t> tileEnd(values);
  for (size_t v = 0; v < values; ++v)
    tileEnd[v] = rowsOf(int(v)).hi;
  ends.push_back(tileEnd);

  // Fresh rows per step, and the lowest row of each value any step from
  // this one on reads: a step keeps those for the next.
  size_t count = ends.size();
  auto freshOf = [&](size_t s, int v) {
    int64_t from = s == 0 ? rowsOf(v).lo : ends[s - 1][v] + 1;
    return Interval{from, ends[s][v]};
  };
  std::vector<std::vector<int64_t>> lowest(count + 1,
                                           std::vector<int64_t>(values));
  for (size_t v = 0; v < values; ++v)
    lowest[count][v] = std::numeric_limits<int64_t>::max();
  // The tile itself owns all of a sink's rows: steps keep what they made.
  for (int v : stage.sinks)
    lowest[count][v] = rowsOf(v).lo;
  for (size_t s = count; s-- > 0;) {
    lowest[s] = lowest[s + 1];
    for (int id : stage.tileNodes) {
      const Node &node = program.nodes[id];
      Interval out = freshOf(s, node.results[0]);
      if (out.empty())
        continue;
      for (size_t i = 0; i < node.operands.size(); ++i) {
        int v = node.operands[i];
        if (!node.window->spatial[i] || rowsOf(v).empty())
          continue;
        int64_t lo = std::max<int64_t>(readRows(node, i, out).lo, 0);
        lowest[s][v] = std::min(lowest[s][v], lo);
      }
    }
  }
  for (size_t s = 0; s + 1 < count; ++s) {
    TileWindows w;
    w.compute.assign(values, Region{});
    w.owned.assign(values, Region{});
    if (s > 0)
      w.fresh.assign(values, Region{});
    for (size_t v = 0; v < values; ++v) {
      const Region &whole = first.compute[v];
      Interval fresh = freshOf(s, int(v));
      Interval rows{std::min(fresh.empty() ? fresh.hi + 1 : fresh.lo,
                             std::max(lowest[s][v], whole.axes[0].lo)),
                    ends[s][v]};
      if (whole.empty() || rows.empty())
        continue;
      w.compute[v] = {{rows, whole.axes[1]}};
      if (s > 0 && !fresh.empty())
        w.fresh[v] = {{fresh, whole.axes[1]}};
    }
    w.need = w.compute;
    steps.push_back(std::move(w));
  }
  return steps;
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
