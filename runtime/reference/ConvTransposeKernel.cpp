//===- ConvTransposeKernel.cpp - Reference transposed convolution ---------===//
//
// Scatter form, the definition: input pixel i adds weight tap t times its
// value to output i*s - p + d*t, into an fp64 accumulator plane per output
// channel. Contributions landing in the cropped pads are dropped.
//
//===----------------------------------------------------------------------===//

#include "dialects/sstep/IR/SpatialRules.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Kernels.h"

#include <algorithm>

namespace sstep::reference {
namespace {

/// Input positions [lo, hi] whose tap `tap` lands inside [0, outSize).
std::pair<int64_t, int64_t> validInputs(const WindowAxis &w, int64_t tap,
                                        int64_t inSize, int64_t outSize) {
  int64_t shift = tap * w.dilation - w.padBegin; // out = in*stride + shift
  int64_t lo = std::max<int64_t>(0, ceilDiv(-shift, w.stride));
  int64_t hi = std::min(inSize - 1, floorDiv(outSize - 1 - shift, w.stride));
  return {lo, hi};
}

std::vector<Tensor> convTranspose2d(const Node &node, const Operands &in) {
  const Tensor &x = *in[0], &weight = *in[1];
  const Tensor *bias = in.size() > 2 ? in[2] : nullptr;
  expectRank(node, x, 4, "input");
  expectRank(node, weight, 4, "weight");
  int64_t groups = node.getInt("groups");
  int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  if (weight.dim(0) != c || c % groups != 0)
    throw RuntimeError(node.describe() + ": input " + formatShape(x.shape) +
                       " does not match weight " + formatShape(weight.shape) +
                       " with " + std::to_string(groups) + " groups");
  int64_t fg = weight.dim(1), m = fg * groups, cg = c / groups;
  WindowAxis ay = windowAxisOf(node, weight.dim(2), 0);
  WindowAxis ax = windowAxisOf(node, weight.dim(3), 1);
  const auto &outputPadding = node.getInts("output_padding");
  int64_t oh = transposedOutputSize(h, ay, outputPadding[0]);
  int64_t ow = transposedOutputSize(w, ax, outputPadding[1]);
  if (oh < 1 || ow < 1)
    throw RuntimeError(node.describe() + ": input " + formatShape(x.shape) +
                       " gives an empty output");
  Tensor out({n, m, oh, ow});

  parallelFor(n * m, [&](int64_t job) {
    int64_t b = job / m, oc = job % m, g = oc / fg, f = oc % fg;
    std::vector<double> acc(oh * ow, bias ? bias->data[oc] : 0.0);
    for (int64_t icg = 0; icg < cg; ++icg) {
      int64_t ic = g * cg + icg;
      const float *plane = &x.data[(b * c + ic) * h * w];
      for (int64_t ky = 0; ky < ay.kernel; ++ky) {
        auto [y0, y1] = validInputs(ay, ky, h, oh);
        for (int64_t kx = 0; kx < ax.kernel; ++kx) {
          auto [x0, x1] = validInputs(ax, kx, w, ow);
          double wt =
              weight.data[((ic * fg + f) * ay.kernel + ky) * ax.kernel + kx];
          for (int64_t iy = y0; iy <= y1; ++iy) {
            // Index arithmetic, not pointers: the row's origin may lie
            // outside the plane although every index used is inside.
            int64_t base =
                (iy * ay.stride + ky * ay.dilation - ay.padBegin) * ow +
                kx * ax.dilation - ax.padBegin;
            const float *row = plane + iy * w;
            for (int64_t ix = x0; ix <= x1; ++ix)
              acc[base + ix * ax.stride] += wt * row[ix];
          }
        }
      }
    }
    std::copy(acc.begin(), acc.end(), &out.data[job * oh * ow]);
  });
  return {std::move(out)};
}

} // namespace

void addConvTransposeKernels(KernelTable &table) {
  table["conv_transpose2d"] = convTranspose2d;
}

} // namespace sstep::reference
