//===- PoolKernel.cpp - Reference max and average pooling -----------------===//
//
// Each output pixel visits its window tap by tap. Max pooling ignores taps
// outside the image (they are -inf). Average pooling divides by the taps
// inside the image, or with count_include_pad by the taps inside the padded
// image: as in PyTorch, the overhang a ceil_mode window has past the trailing
// pad is never counted. Global pools reduce each channel plane (a sum in
// fp64, or the maximum with NaN winning).
//
//===----------------------------------------------------------------------===//

#include "dialects/sstep/IR/SpatialRules.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Kernels.h"
#include "runtime/reference/PoolGeometry.h"

#include <cmath>
#include <limits>

namespace sstep::reference {
namespace {

template <typename PerPixel>
std::vector<Tensor> poolRegion(const Node &node, const Operands &in,
                               const Placed &from, const Placed &to,
                               PerPixel perPixel) {
  const Tensor &x = *in[0];
  expectRank(node, x, 4, "input");
  PoolGeometry g = poolGeometryOf(node);
  int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
  const Interval &rows = to.region.axes[0], &cols = to.region.axes[1];
  int64_t oh = rows.size(), ow = cols.size();
  Tensor out({x.dim(0), x.dim(1), oh, ow});
  parallelFor(planes, [&](int64_t p) {
    const float *plane = x.data.data() + (p * h * w);
    float *dst = out.data.data() + (p * oh * ow);
    for (int64_t oy = rows.lo; oy <= rows.hi; ++oy)
      for (int64_t ox = cols.lo; ox <= cols.hi; ++ox)
        dst[(oy - rows.lo) * ow + ox - cols.lo] =
            perPixel(g, plane, from, oy, ox);
  });
  return {std::move(out)};
}

std::vector<Tensor> maxPoolRegion(const Node &node, const Operands &in,
                                  const std::vector<Placed> &placed,
                                  const Placed &to) {
  return poolRegion(node, in, placed[0], to,
                    [](const PoolGeometry &g, const float *plane,
                       const Placed &from, int64_t oy, int64_t ox) {
                      float best = -std::numeric_limits<float>::infinity();
                      forEachTap(g, from, oy, ox, false, [&](int64_t at) {
                        float v = plane[at];
                        // NaN propagates, as in PyTorch.
                        if (v > best || std::isnan(v))
                          best = std::isnan(best) ? best : v;
                      });
                      return best;
                    });
}

std::vector<Tensor> avgPoolRegion(const Node &node, const Operands &in,
                                  const std::vector<Placed> &placed,
                                  const Placed &to) {
  bool countPad = node.getInt("count_include_pad") != 0;
  return poolRegion(node, in, placed[0], to,
                    [countPad](const PoolGeometry &g, const float *plane,
                               const Placed &from, int64_t oy, int64_t ox) {
                      double sum = 0;
                      int64_t count =
                          forEachTap(g, from, oy, ox, countPad,
                                     [&](int64_t at) { sum += plane[at]; });
                      return count ? static_cast<float>(sum / count)
                                   : std::numeric_limits<float>::quiet_NaN();
                    });
}

/// A whole-image pool through its region kernel.
Kernel wholePool(RegionKernel region) {
  return [region](const Node &node, const Operands &in) {
    expectRank(node, *in[0], 4, "input");
    PoolGeometry g = poolGeometryOf(node);
    Size2 size{in[0]->dim(2), in[0]->dim(3)};
    Size2 outSize{windowOutputSize(size[0], g.y, g.ceil),
                  windowOutputSize(size[1], g.x, g.ceil)};
    return region(node, in, {Placed::whole(size)}, Placed::whole(outSize));
  };
}

/// A global pool: `reduce` maps one channel plane to its value.
template <typename Reduce>
std::vector<Tensor> globalPool(const Node &node, const Operands &in,
                               Reduce reduce) {
  const Tensor &x = *in[0];
  expectRank(node, x, 4, "input");
  int64_t plane = x.dim(2) * x.dim(3);
  if (plane == 0)
    throw RuntimeError(node.describe() + ": input " + formatShape(x.shape) +
                       " has no pixels to pool");
  Tensor out({x.dim(0), x.dim(1), 1, 1});
  for (int64_t p = 0; p < out.size(); ++p)
    out.data[p] = reduce(x.data.data() + (p * plane), plane);
  return {std::move(out)};
}

std::vector<Tensor> globalAvgPool(const Node &node, const Operands &in) {
  return globalPool(node, in, [](const float *plane, int64_t n) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i)
      sum += plane[i];
    return static_cast<float>(sum / n);
  });
}

std::vector<Tensor> globalMaxPool(const Node &node, const Operands &in) {
  return globalPool(node, in, [](const float *plane, int64_t n) {
    float best = plane[0];
    for (int64_t i = 1; i < n && !std::isnan(best); ++i)
      if (plane[i] > best || std::isnan(plane[i]))
        best = plane[i];
    return best;
  });
}

/// ONNX Reduce{Mean,Sum,Max,Min}: each input element folds into the output
/// element at its index with the reduced axes set to 0.
std::vector<Tensor> reduce(const Node &node, const Operands &in) {
  const Tensor &x = *in[0];
  const std::vector<int64_t> &axes = node.getInts("axes");
  const bool keep = node.getInt("keepdims") != 0;
  const std::string &kind = node.getString("kind");
  Tensor out(checkRule(node, shape::reduce(x.shape, axes, keep)));
  // The output offset of each input index: strides of the kept shape, 0
  // along reduced axes.
  Shape kept = x.shape;
  for (int64_t a : axes)
    kept[a] = 1;
  std::vector<int64_t> strides = stridesOf(kept);
  for (int64_t a : axes)
    strides[a] = 0;
  const bool extreme = kind == "max" || kind == "min";
  std::vector<double> acc(size_t(out.size()),
                          !extreme ? 0.0
                          : kind == "max"
                              ? -std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::infinity());
  // Over the trailing axes (H and W of NCHW: GRN's norms) each output
  // element reduces one contiguous run: its index is i / run, without the
  // per-element index arithmetic of the general case. The order of the
  // sums is the same.
  bool trailing = !axes.empty();
  for (size_t k = 0; k < axes.size(); ++k)
    trailing =
        trailing && axes[k] == x.rank() - int64_t(axes.size()) + int64_t(k);
  int64_t run = 1;
  for (int64_t a : axes)
    run *= x.shape[size_t(a)];
  for (int64_t i = 0; i < x.size(); ++i) {
    double v = x.data[i],
           &a = acc[size_t(trailing ? i / run : offsetAt(i, x.shape, strides))];
    if (!extreme)
      a += v;
    else if (std::isnan(v) || std::isnan(a))
      a = std::numeric_limits<double>::quiet_NaN(); // NaN wins
    else
      a = kind == "max" ? std::max(a, v) : std::min(a, v);
  }
  const double count = out.size() ? double(x.size()) / double(out.size()) : 0.0;
  for (int64_t i = 0; i < out.size(); ++i)
    out.data[i] =
        float(kind == "mean" ? acc[size_t(i)] / count : acc[size_t(i)]);
  return {std::move(out)};
}

} // namespace

void addPoolKernels(KernelTable &table, RegionKernelTable &regions) {
  regions["max_pool2d"] = maxPoolRegion;
  regions["avg_pool2d"] = avgPoolRegion;
  table["max_pool2d"] = wholePool(maxPoolRegion);
  table["avg_pool2d"] = wholePool(avgPoolRegion);
  table["global_avg_pool2d"] = globalAvgPool;
  table["global_max_pool2d"] = globalMaxPool;
  table["reduce"] = reduce;
}

} // namespace sstep::reference
