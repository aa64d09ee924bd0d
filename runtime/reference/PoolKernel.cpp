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

#include <cmath>
#include <limits>

namespace sstep::reference {
namespace {

struct PoolGeometry {
  WindowAxis y, x;
  int64_t oh, ow;
};

PoolGeometry geometryOf(const Node &node, const Tensor &input) {
  const auto &kernel = node.getInts("kernel");
  const auto &strides = node.getInts("strides");
  const auto &dilations = node.getInts("dilations");
  const auto &pads = node.getInts("pads");
  bool ceil = node.getInt("ceil_mode") != 0;
  PoolGeometry g;
  g.y = {kernel[0], strides[0], dilations[0], pads[0], pads[2]};
  g.x = {kernel[1], strides[1], dilations[1], pads[1], pads[3]};
  g.oh = windowOutputSize(input.dim(2), g.y, ceil);
  g.ow = windowOutputSize(input.dim(3), g.x, ceil);
  return g;
}

/// Calls visit(value) for every in-image tap of output (oy, ox) and returns
/// how many taps lie inside [lo, hi) on both axes, where lo/hi are the image
/// (counting only in-image taps) or the padded image.
template <typename Visit>
int64_t forEachTap(const PoolGeometry &g, const float *plane, int64_t h,
                   int64_t w, int64_t oy, int64_t ox, bool countPad,
                   Visit visit) {
  int64_t counted = 0;
  for (int64_t ky = 0; ky < g.y.kernel; ++ky) {
    int64_t iy = oy * g.y.stride - g.y.padBegin + ky * g.y.dilation;
    bool yIn = iy >= 0 && iy < h;
    bool yPad = iy >= -g.y.padBegin && iy < h + g.y.padEnd;
    for (int64_t kx = 0; kx < g.x.kernel; ++kx) {
      int64_t ix = ox * g.x.stride - g.x.padBegin + kx * g.x.dilation;
      bool xIn = ix >= 0 && ix < w;
      bool xPad = ix >= -g.x.padBegin && ix < w + g.x.padEnd;
      if (yIn && xIn)
        visit(plane[iy * w + ix]);
      if (countPad ? (yPad && xPad) : (yIn && xIn))
        ++counted;
    }
  }
  return counted;
}

template <typename PerPixel>
std::vector<Tensor> pool(const Node &node, const Operands &in,
                         PerPixel perPixel) {
  const Tensor &x = *in[0];
  expectRank(node, x, 4, "input");
  PoolGeometry g = geometryOf(node, x);
  int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
  Tensor out({x.dim(0), x.dim(1), g.oh, g.ow});
  parallelFor(planes, [&](int64_t p) {
    const float *plane = &x.data[p * h * w];
    float *dst = &out.data[p * g.oh * g.ow];
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox)
        dst[oy * g.ow + ox] = perPixel(g, plane, h, w, oy, ox);
  });
  return {std::move(out)};
}

std::vector<Tensor> maxPool(const Node &node, const Operands &in) {
  return pool(node, in,
              [](const PoolGeometry &g, const float *plane, int64_t h,
                 int64_t w, int64_t oy, int64_t ox) {
                float best = -std::numeric_limits<float>::infinity();
                forEachTap(g, plane, h, w, oy, ox, false, [&](float v) {
                  // NaN propagates, as in PyTorch.
                  if (v > best || std::isnan(v))
                    best = std::isnan(best) ? best : v;
                });
                return best;
              });
}

std::vector<Tensor> avgPool(const Node &node, const Operands &in) {
  bool countPad = node.getInt("count_include_pad") != 0;
  return pool(node, in,
              [countPad](const PoolGeometry &g, const float *plane, int64_t h,
                         int64_t w, int64_t oy, int64_t ox) {
                double sum = 0;
                int64_t count = forEachTap(g, plane, h, w, oy, ox, countPad,
                                           [&](float v) { sum += v; });
                return count ? static_cast<float>(sum / count)
                             : std::numeric_limits<float>::quiet_NaN();
              });
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
    out.data[p] = reduce(&x.data[p * plane], plane);
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

} // namespace

void addPoolKernels(KernelTable &table) {
  table["max_pool2d"] = maxPool;
  table["avg_pool2d"] = avgPool;
  table["global_avg_pool2d"] = globalAvgPool;
  table["global_max_pool2d"] = globalMaxPool;
}

} // namespace sstep::reference
