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

void checkOperands(const Node &node, const Tensor &x, const Tensor &weight) {
  expectRank(node, x, 4, "input");
  expectRank(node, weight, 4, "weight");
  int64_t groups = node.getInt("groups");
  if (weight.dim(0) != x.dim(1) || x.dim(1) % groups != 0)
    throw RuntimeError(node.describe() + ": input " + formatShape(x.shape) +
                       " does not match weight " + formatShape(weight.shape) +
                       " with " + std::to_string(groups) + " groups");
}

std::vector<Tensor> convTranspose2dRegion(const Node &node, const Operands &in,
                                          const std::vector<Placed> &placed,
                                          const Placed &to) {
  const Tensor &x = *in[0], &weight = *in[1];
  const Tensor *bias = in.size() > 2 ? in[2] : nullptr;
  checkOperands(node, x, weight);
  const Region &from = placed[0].region;
  int64_t groups = node.getInt("groups");
  int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  int64_t fg = weight.dim(1), m = fg * groups, cg = c / groups;
  WindowAxis ay = windowAxisOf(node, weight.dim(2), 0);
  WindowAxis ax = windowAxisOf(node, weight.dim(3), 1);
  const Interval &rows = to.region.axes[0], &cols = to.region.axes[1];
  int64_t oh = rows.size(), ow = cols.size();
  Tensor out({n, m, oh, ow});

  parallelFor(n * m, [&](int64_t job) {
    int64_t b = job / m, oc = job % m, g = oc / fg, f = oc % fg;
    std::vector<double> acc(oh * ow, bias ? bias->data[oc] : 0.0);
    for (int64_t icg = 0; icg < cg; ++icg) {
      int64_t ic = g * cg + icg;
      const float *plane = x.data.data() + (b * c + ic) * h * w;
      for (int64_t ky = 0; ky < ay.kernel; ++ky) {
        Interval ys = transposedTaps(ay, ky, from.axes[0], rows);
        for (int64_t kx = 0; kx < ax.kernel; ++kx) {
          Interval xs = transposedTaps(ax, kx, from.axes[1], cols);
          double wt =
              weight.data[((ic * fg + f) * ay.kernel + ky) * ax.kernel + kx];
          for (int64_t iy = ys.lo; iy <= ys.hi; ++iy) {
            int64_t oy = iy * ay.stride + ky * ay.dilation - ay.padBegin;
            double *accRow = acc.data() + (oy - rows.lo) * ow;
            const float *row = plane + local(iy, from.axes[0]) * w;
            for (int64_t ix = xs.lo; ix <= xs.hi; ++ix) {
              int64_t ox = ix * ax.stride + kx * ax.dilation - ax.padBegin;
              accRow[ox - cols.lo] += wt * row[local(ix, from.axes[1])];
            }
          }
        }
      }
    }
    std::copy(acc.begin(), acc.end(), out.data.data() + (job * oh * ow));
  });
  return {std::move(out)};
}

std::vector<Tensor> convTranspose2d(const Node &node, const Operands &in) {
  const Tensor &x = *in[0], &weight = *in[1];
  checkOperands(node, x, weight);
  const auto &outputPadding = node.getInts("output_padding");
  Size2 size{x.dim(2), x.dim(3)}, outSize;
  for (int axis = 0; axis < 2; ++axis)
    outSize[axis] = transposedOutputSize(
        size[axis], windowAxisOf(node, weight.dim(2 + axis), axis),
        outputPadding[axis]);
  if (outSize[0] < 1 || outSize[1] < 1)
    throw RuntimeError(node.describe() + ": input " + formatShape(x.shape) +
                       " gives an empty output");
  return convTranspose2dRegion(node, in, {Placed::whole(size)},
                               Placed::whole(outSize));
}

} // namespace

void addConvTransposeKernels(KernelTable &table, RegionKernelTable &regions) {
  table["conv_transpose2d"] = convTranspose2d;
  regions["conv_transpose2d"] = convTranspose2dRegion;
}

} // namespace sstep::reference
