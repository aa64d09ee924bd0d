//===- GeometryKernel.cpp - Reference pad and resize ----------------------===//
//
// Both ops map each output coordinate to input coordinates independently per
// axis, so each builds a per-axis table first (GeometryTables.h) and then
// gathers.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/reference/GeometryTables.h"

#include <algorithm>
#include <cmath>

namespace sstep::reference {
namespace {

/// Input index of padded position `i` (may be outside [0, size)), or -1 for
/// the constant value.
int64_t padSource(int64_t i, int64_t size, const std::string &mode) {
  if (i >= 0 && i < size)
    return i;
  if (mode == "edge")
    return std::clamp<int64_t>(i, 0, size - 1);
  if (mode == "reflect") {
    if (size == 1)
      return 0;
    int64_t period = 2 * (size - 1);
    int64_t m = ((i % period) + period) % period;
    return m < size ? m : period - m;
  }
  return -1;
}

} // namespace

std::vector<int64_t> padTable(Interval out, int64_t pad, const Placed &from,
                              unsigned axis, const std::string &mode) {
  std::vector<int64_t> table;
  for (int64_t i = out.lo; i <= out.hi; ++i) {
    int64_t src = padSource(i - pad, from.image[axis], mode);
    table.push_back(src < 0 ? -1 : local(src, from.region.axes[axis]));
  }
  return table;
}

namespace {

std::vector<Tensor> pad2dRegion(const Node &node, const Operands &in,
                                const std::vector<Placed> &placed,
                                const Placed &to) {
  const Tensor &x = *in[0];
  const auto &pads = node.getInts("pads");
  const std::string &mode = node.getString("mode");
  float value = static_cast<float>(node.getFloat("value"));
  std::vector<int64_t> rows =
      padTable(to.region.axes[0], pads[0], placed[0], 0, mode);
  std::vector<int64_t> cols =
      padTable(to.region.axes[1], pads[1], placed[0], 1, mode);
  int64_t h = x.dim(2), w = x.dim(3);
  int64_t oh = int64_t(rows.size()), ow = int64_t(cols.size());
  Tensor out({x.dim(0), x.dim(1), oh, ow});
  for (int64_t p = 0; p < x.dim(0) * x.dim(1); ++p)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t c = 0; c < ow; ++c)
        out.data[(p * oh + y) * ow + c] =
            rows[y] < 0 || cols[c] < 0
                ? value
                : x.data[(p * h + rows[y]) * w + cols[c]];
  return {std::move(out)};
}

std::vector<Tensor> pad2d(const Node &node, const Operands &in) {
  const Tensor &x = *in[0];
  expectRank(node, x, 4, "input");
  const auto &pads = node.getInts("pads");
  int64_t h = x.dim(2), w = x.dim(3);
  int64_t oh = h + pads[0] + pads[2], ow = w + pads[1] + pads[3];
  if (oh < 1 || ow < 1)
    throw RuntimeError(node.describe() + ": pads crop the whole " +
                       formatShape(x.shape) + " input");
  if (node.getString("mode") == "reflect" &&
      (std::max(pads[0], pads[2]) >= h || std::max(pads[1], pads[3]) >= w))
    throw RuntimeError(node.describe() +
                       ": reflect pads must be smaller than the " +
                       formatShape(x.shape) + " input");
  return pad2dRegion(node, in, {Placed::whole({h, w})},
                     Placed::whole({oh, ow}));
}

} // namespace

AxisRule resizeRule(const Node &node, unsigned axis) {
  AxisRule rule;
  rule.kind = AxisRule::Kind::Resize;
  rule.linear = node.getString("mode") == "linear";
  rule.coordinateMode = node.getString("coordinate_mode");
  rule.nearestMode = node.getString("nearest_mode");
  if (node.has("scales"))
    rule.scale = node.getFloats("scales")[axis];
  else if (node.has("sizes"))
    rule.fixedSize = node.getInts("sizes")[axis];
  else {
    rule.likeNum = node.getInts("like_scale")[2 * axis];
    rule.likeDen = node.getInts("like_scale")[2 * axis + 1];
  }
  return rule;
}

AxisTable resizeTable(const AxisRule &rule, Interval out, const Placed &from,
                      int64_t outSize, unsigned axis) {
  AxisTable t;
  const Interval &block = from.region.axes[axis];
  for (int64_t x = out.lo; x <= out.hi; ++x) {
    ResizeTap tap = rule.resizeTap(x, from.image[axis], outSize);
    t.lo.push_back(local(tap.lo, block));
    t.hi.push_back(local(tap.hi, block));
    t.frac.push_back(tap.frac);
  }
  return t;
}

namespace {

std::vector<Tensor> resize2dRegion(const Node &node, const Operands &in,
                                   const std::vector<Placed> &placed,
                                   const Placed &to) {
  const Tensor &x = *in[0];
  AxisTable ty = resizeTable(resizeRule(node, 0), to.region.axes[0], placed[0],
                             to.image[0], 0);
  AxisTable tx = resizeTable(resizeRule(node, 1), to.region.axes[1], placed[0],
                             to.image[1], 1);
  int64_t h = x.dim(2), w = x.dim(3);
  int64_t oh = int64_t(ty.lo.size()), ow = int64_t(tx.lo.size());
  Tensor out({x.dim(0), x.dim(1), oh, ow});
  parallelFor(x.dim(0) * x.dim(1), [&](int64_t p) {
    const float *src = x.data.data() + (p * h * w);
    for (int64_t y = 0; y < oh; ++y) {
      const float *r0 = src + ty.lo[y] * w, *r1 = src + ty.hi[y] * w;
      double fy = ty.frac[y];
      for (int64_t c = 0; c < ow; ++c) {
        double fx = tx.frac[c];
        double top = r0[tx.lo[c]] * (1 - fx) + r0[tx.hi[c]] * fx;
        double bottom = r1[tx.lo[c]] * (1 - fx) + r1[tx.hi[c]] * fx;
        out.data[(p * oh + y) * ow + c] = float(top * (1 - fy) + bottom * fy);
      }
    }
  });
  return {std::move(out)};
}

std::vector<Tensor> resize2d(const Node &node, const Operands &in) {
  const Tensor &x = *in[0];
  expectRank(node, x, 4, "input");
  Size2 size{x.dim(2), x.dim(3)}, outSize;
  for (unsigned axis = 0; axis < 2; ++axis) {
    int64_t like = in.size() > 1 ? in[1]->dim(2 + axis) : -1;
    outSize[axis] = resizeRule(node, axis).outputSize(size[axis], like);
    if (outSize[axis] < 1)
      throw RuntimeError(node.describe() + ": resizes the " +
                         formatShape(x.shape) + " input to nothing");
  }
  return resize2dRegion(node, in, {Placed::whole(size)},
                        Placed::whole(outSize));
}

} // namespace

void addGeometryKernels(KernelTable &table, RegionKernelTable &regions) {
  table["pad2d"] = pad2d;
  table["resize2d"] = resize2d;
  regions["pad2d"] = pad2dRegion;
  regions["resize2d"] = resize2dRegion;
}

} // namespace sstep::reference
