//===- ConvKernel.cpp - Reference 2-D convolution -------------------------===//
//
// Direct convolution: for every output channel, each (input channel, tap)
// pair adds one weight times a shifted input row into an fp64 accumulator
// plane. Taps that fall outside the image read zero, i.e. are skipped.
//
//===----------------------------------------------------------------------===//

#include "dialects/sstep/IR/SpatialRules.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Kernels.h"

#include <algorithm>

namespace sstep::reference {
namespace {

/// Output positions [lo, hi] whose tap at offset `tap` lands inside [0, size).
std::pair<int64_t, int64_t> validRange(const WindowAxis &w, int64_t tap,
                                       int64_t size, int64_t outSize) {
  int64_t shift = tap * w.dilation - w.padBegin; // input = out*stride + shift
  int64_t lo = shift >= 0 ? 0 : (-shift + w.stride - 1) / w.stride;
  int64_t last = size - 1 - shift;
  int64_t hi = last < 0 ? -1 : std::min(outSize - 1, last / w.stride);
  return {lo, hi};
}

std::vector<Tensor> conv2d(const Node &node, const Operands &in) {
  const Tensor &x = *in[0], &weight = *in[1];
  const Tensor *bias = in.size() > 2 ? in[2] : nullptr;
  expectRank(node, x, 4, "input");
  expectRank(node, weight, 4, "weight");
  int64_t groups = node.getInt("groups");
  int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  int64_t m = weight.dim(0), cg = weight.dim(1);
  if (cg * groups != c || m % groups != 0)
    throw RuntimeError(node.describe() + ": input " + formatShape(x.shape) +
                       " does not match weight " + formatShape(weight.shape) +
                       " with " + std::to_string(groups) + " groups");
  WindowAxis ay = windowAxisOf(node, weight.dim(2), 0);
  WindowAxis ax = windowAxisOf(node, weight.dim(3), 1);
  int64_t oh = windowOutputSize(h, ay), ow = windowOutputSize(w, ax);
  Tensor out({n, m, oh, ow});
  int64_t mPerGroup = m / groups;

  parallelFor(n * m, [&](int64_t job) {
    int64_t b = job / m, oc = job % m, g = oc / mPerGroup;
    std::vector<double> acc(oh * ow, bias ? bias->data[oc] : 0.0);
    for (int64_t ic = 0; ic < cg; ++ic) {
      const float *plane = &x.data[((b * c) + g * cg + ic) * h * w];
      for (int64_t ky = 0; ky < ay.kernel; ++ky) {
        auto [y0, y1] = validRange(ay, ky, h, oh);
        for (int64_t kx = 0; kx < ax.kernel; ++kx) {
          auto [x0, x1] = validRange(ax, kx, w, ow);
          double wt =
              weight.data[((oc * cg + ic) * ay.kernel + ky) * ax.kernel + kx];
          for (int64_t oy = y0; oy <= y1; ++oy) {
            // Index arithmetic, not pointers: the row's origin may lie
            // outside the plane although every index used is inside.
            int64_t base =
                (oy * ay.stride + ky * ay.dilation - ay.padBegin) * w +
                kx * ax.dilation - ax.padBegin;
            double *accRow = &acc[oy * ow];
            for (int64_t ox = x0; ox <= x1; ++ox)
              accRow[ox] += wt * plane[base + ox * ax.stride];
          }
        }
      }
    }
    std::copy(acc.begin(), acc.end(), &out.data[job * oh * ow]);
  });
  return {std::move(out)};
}

} // namespace

void addConvKernels(KernelTable &table) { table["conv2d"] = conv2d; }

} // namespace sstep::reference
