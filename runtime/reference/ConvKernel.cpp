//===- ConvKernel.cpp - Reference 2-D convolution -------------------------===//
//
// Direct convolution: for every output channel, each (input channel, tap)
// pair adds one weight times a shifted input row into an fp64 accumulator
// plane. Taps that fall outside the image read zero, i.e. are skipped. The
// kernel computes a block of the output in the image's coordinates, so a tile
// and the whole image run the same loops.
//
//===----------------------------------------------------------------------===//

#include "dialects/sstep/IR/SpatialRules.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Kernels.h"

#include <algorithm>

namespace sstep::reference {

void checkConvOperands(const Node &node, const Tensor &x,
                       const Tensor &weight) {
  expectRank(node, x, 4, "input");
  expectRank(node, weight, 4, "weight");
  int64_t groups = node.getInt("groups");
  if (weight.dim(1) * groups != x.dim(1) || weight.dim(0) % groups != 0)
    throw RuntimeError(node.describe() + ": input " + formatShape(x.shape) +
                       " does not match weight " + formatShape(weight.shape) +
                       " with " + std::to_string(groups) + " groups");
}

namespace {

std::vector<Tensor> conv2dRegion(const Node &node, const Operands &in,
                                 const std::vector<Placed> &placed,
                                 const Placed &to) {
  const Tensor &x = *in[0], &weight = *in[1];
  const Tensor *bias = in.size() > 2 ? in[2] : nullptr;
  checkConvOperands(node, x, weight);
  const Placed &from = placed[0];
  int64_t groups = node.getInt("groups");
  int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  int64_t m = weight.dim(0), cg = weight.dim(1);
  WindowAxis ay = windowAxisOf(node, weight.dim(2), 0);
  WindowAxis ax = windowAxisOf(node, weight.dim(3), 1);
  const Interval &rows = to.region.axes[0], &cols = to.region.axes[1];
  int64_t oh = rows.size(), ow = cols.size();
  Tensor out({n, m, oh, ow});
  int64_t mPerGroup = m / groups;

  parallelFor(n * m, [&](int64_t job) {
    int64_t b = job / m, oc = job % m, g = oc / mPerGroup;
    std::vector<double> acc(oh * ow, bias ? bias->data[oc] : 0.0);
    for (int64_t ic = 0; ic < cg; ++ic) {
      const float *plane = x.data.data() + (((b * c) + g * cg + ic) * h * w);
      for (int64_t ky = 0; ky < ay.kernel; ++ky) {
        Interval ys = validTaps(ay, ky, from.image[0], rows);
        for (int64_t kx = 0; kx < ax.kernel; ++kx) {
          Interval xs = validTaps(ax, kx, from.image[1], cols);
          double wt =
              weight.data[((oc * cg + ic) * ay.kernel + ky) * ax.kernel + kx];
          for (int64_t oy = ys.lo; oy <= ys.hi; ++oy) {
            // Index arithmetic, not pointers: the row's origin may lie
            // outside the plane although every index used is inside.
            int64_t iy = local(oy * ay.stride + ky * ay.dilation - ay.padBegin,
                               from.region.axes[0]);
            int64_t base = iy * w + local(kx * ax.dilation - ax.padBegin,
                                          from.region.axes[1]);
            double *accRow = acc.data() + (oy - rows.lo) * ow;
            for (int64_t ox = xs.lo; ox <= xs.hi; ++ox)
              accRow[ox - cols.lo] += wt * plane[base + ox * ax.stride];
          }
        }
      }
    }
    std::copy(acc.begin(), acc.end(), out.data.data() + (job * oh * ow));
  });
  return {std::move(out)};
}

std::vector<Tensor> conv2d(const Node &node, const Operands &in) {
  const Tensor &x = *in[0], &weight = *in[1];
  checkConvOperands(node, x, weight);
  Size2 size{x.dim(2), x.dim(3)};
  Size2 outSize{
      windowOutputSize(size[0], windowAxisOf(node, weight.dim(2), 0)),
      windowOutputSize(size[1], windowAxisOf(node, weight.dim(3), 1))};
  return conv2dRegion(node, in, {Placed::whole(size)}, Placed::whole(outSize));
}

} // namespace

void addConvKernels(KernelTable &table, RegionKernelTable &regions) {
  table["conv2d"] = conv2d;
  regions["conv2d"] = conv2dRegion;
}

} // namespace sstep::reference
