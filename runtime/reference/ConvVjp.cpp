//===- ConvVjp.cpp - Gradients of the reference 2-D convolution -----------===//
//
// The forward loops of ConvKernel.cpp read backwards: every (output pixel,
// tap) pair that the forward pass multiplied, inside the image, sends the
// output gradient times the weight to the input pixel it read, and the
// output gradient times that input pixel to the weight. Taps on padding
// contribute nothing, as in autograd. Input gradients are computed per input
// plane and weight gradients per filter, each summed in fp64 in a fixed
// order, so two runs give the same bits.
//
//===----------------------------------------------------------------------===//

#include "dialects/sstep/IR/SpatialRules.h"
#include "runtime/reference/Vjp.h"

#include <algorithm>

namespace sstep::reference {
namespace {

struct ConvGeometry {
  int64_t n, c, m, cg, groups;
  WindowAxis y, x;
  /// Input block (rows, cols) and its placement.
  Placed from;
  int64_t h, w;
  /// Output block.
  Interval rows, cols;
  int64_t oh, ow;
};

ConvGeometry geometryOf(const VjpArgs &a) {
  const Tensor &x = *a.in[0], &weight = *a.in[1];
  checkConvOperands(a.node, x, weight);
  ConvGeometry g;
  g.n = x.dim(0);
  g.c = x.dim(1);
  g.h = x.dim(2);
  g.w = x.dim(3);
  g.m = weight.dim(0);
  g.cg = weight.dim(1);
  g.groups = a.node.getInt("groups");
  g.y = windowAxisOf(a.node, weight.dim(2), 0);
  g.x = windowAxisOf(a.node, weight.dim(3), 1);
  g.from = a.placed[0];
  g.rows = a.out.region.axes[0];
  g.cols = a.out.region.axes[1];
  g.oh = g.rows.size();
  g.ow = g.cols.size();
  return g;
}

/// Calls tap(ky, kx, oy, iyLocal, xs, ixOffset) for each tap and each output
/// row whose tap lands in the image: output column ox reads local input
/// column ixOffset + ox * stride.
template <typename Tap> void forEachTapRow(const ConvGeometry &g, Tap tap) {
  for (int64_t ky = 0; ky < g.y.kernel; ++ky) {
    Interval ys = validTaps(g.y, ky, g.from.image[0], g.rows);
    for (int64_t kx = 0; kx < g.x.kernel; ++kx) {
      Interval xs = validTaps(g.x, kx, g.from.image[1], g.cols);
      if (xs.empty())
        continue;
      int64_t ixOffset =
          local(kx * g.x.dilation - g.x.padBegin, g.from.region.axes[1]);
      for (int64_t oy = ys.lo; oy <= ys.hi; ++oy) {
        int64_t iy = local(oy * g.y.stride + ky * g.y.dilation - g.y.padBegin,
                           g.from.region.axes[0]);
        tap(ky, kx, oy, iy, xs, ixOffset);
      }
    }
  }
}

/// dx: each input plane gathers from the filters of its group.
Tensor inputGradient(const ConvGeometry &g, const Tensor &weight,
                     const Tensor &dy) {
  Tensor dx({g.n, g.c, g.h, g.w});
  int64_t mPerGroup = g.m / g.groups;
  parallelFor(g.n * g.c, [&](int64_t job) {
    int64_t b = job / g.c, ic = job % g.c, grp = ic / g.cg, icg = ic % g.cg;
    std::vector<double> acc(size_t(g.h * g.w), 0.0);
    for (int64_t oc = grp * mPerGroup; oc < (grp + 1) * mPerGroup; ++oc) {
      const float *plane = dy.data.data() + ((b * g.m + oc) * g.oh * g.ow);
      forEachTapRow(g, [&](int64_t ky, int64_t kx, int64_t oy, int64_t iy,
                           Interval xs, int64_t ixOffset) {
        double wt =
            weight
                .data[((oc * g.cg + icg) * g.y.kernel + ky) * g.x.kernel + kx];
        const float *row = plane + (oy - g.rows.lo) * g.ow - g.cols.lo;
        double *dst = acc.data() + iy * g.w + ixOffset;
        for (int64_t ox = xs.lo; ox <= xs.hi; ++ox)
          dst[ox * g.x.stride] += wt * row[ox];
      });
    }
    std::copy(acc.begin(), acc.end(), dx.data.data() + (job * g.h * g.w));
  });
  return dx;
}

/// dW and db: each filter sums over the batch, its input channels' planes
/// and the output block.
std::vector<Tensor> weightGradients(const ConvGeometry &g, const Tensor &x,
                                    const Tensor &weight, const Tensor &dy,
                                    bool wantBias) {
  Tensor dw(weight.shape);
  Tensor db(Shape{g.m});
  int64_t mPerGroup = g.m / g.groups;
  int64_t taps = g.y.kernel * g.x.kernel;
  parallelFor(g.m, [&](int64_t oc) {
    int64_t grp = oc / mPerGroup;
    std::vector<double> acc(size_t(g.cg * taps), 0.0);
    double bias = 0;
    for (int64_t b = 0; b < g.n; ++b) {
      const float *plane = dy.data.data() + ((b * g.m + oc) * g.oh * g.ow);
      if (wantBias)
        for (int64_t i = 0; i < g.oh * g.ow; ++i)
          bias += plane[i];
      for (int64_t icg = 0; icg < g.cg; ++icg) {
        const float *in =
            x.data.data() + ((b * g.c + grp * g.cg + icg) * g.h * g.w);
        forEachTapRow(g, [&](int64_t ky, int64_t kx, int64_t oy, int64_t iy,
                             Interval xs, int64_t ixOffset) {
          const float *row = plane + (oy - g.rows.lo) * g.ow - g.cols.lo;
          const float *src = in + iy * g.w + ixOffset;
          double sum = 0;
          for (int64_t ox = xs.lo; ox <= xs.hi; ++ox)
            sum += double(row[ox]) * src[ox * g.x.stride];
          acc[size_t(icg * taps + ky * g.x.kernel + kx)] += sum;
        });
      }
    }
    std::copy(acc.begin(), acc.end(), dw.data.data() + (oc * g.cg * taps));
    db.data[oc] = float(bias);
  });
  return {std::move(dw), std::move(db)};
}

std::vector<Tensor> conv2dVjp(const VjpArgs &a) {
  ConvGeometry g = geometryOf(a);
  std::vector<Tensor> grads(a.in.size());
  if (a.wanted[0])
    grads[0] = inputGradient(g, *a.in[1], a.grad);
  bool wantBias = a.in.size() > 2 && a.wanted[2];
  if (a.wanted[1] || wantBias) {
    std::vector<Tensor> wb =
        weightGradients(g, *a.in[0], *a.in[1], a.grad, wantBias);
    if (a.wanted[1])
      grads[1] = std::move(wb[0]);
    if (wantBias)
      grads[2] = Tensor(a.in[2]->shape, std::move(wb[1].data));
  }
  return grads;
}

} // namespace

void addConvVjps(VjpTable &table) { table["conv2d"] = conv2dVjp; }

} // namespace sstep::reference
