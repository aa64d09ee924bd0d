//===- ConvTransposeVjp.cpp - Gradients of the transposed convolution -----===//
//
// The forward scatter (ConvTransposeKernel.cpp) read backwards: each input
// pixel gathers the output gradient at the pixels its taps reached inside
// the output block, times the weight; each weight sums input times output
// gradient over those pairs. Contributions that landed in the cropped pads
// were dropped forward and carry no gradient.
//
//===----------------------------------------------------------------------===//

#include "dialects/sstep/IR/SpatialRules.h"
#include "runtime/reference/Vjp.h"

#include <algorithm>

namespace sstep::reference {
namespace {

struct Pairs {
  int64_t n, c, h, w, fg, groups, cg, oh, ow;
  WindowAxis y, x;
  Region from;
  Interval rows, cols;

  /// Calls pair(ky, kx, inputOffset, outputOffset) for every (input pixel,
  /// tap) pair whose output lies in the block, offsets within one plane.
  template <typename Pair> void forEach(Pair pair) const {
    for (int64_t ky = 0; ky < y.kernel; ++ky) {
      Interval ys = transposedTaps(y, ky, from.axes[0], rows);
      for (int64_t kx = 0; kx < x.kernel; ++kx) {
        Interval xs = transposedTaps(x, kx, from.axes[1], cols);
        for (int64_t iy = ys.lo; iy <= ys.hi; ++iy) {
          int64_t oy = iy * y.stride + ky * y.dilation - y.padBegin;
          for (int64_t ix = xs.lo; ix <= xs.hi; ++ix) {
            int64_t ox = ix * x.stride + kx * x.dilation - x.padBegin;
            pair(ky, kx, local(iy, from.axes[0]) * w + local(ix, from.axes[1]),
                 (oy - rows.lo) * ow + ox - cols.lo);
          }
        }
      }
    }
  }
};

std::vector<Tensor> convTranspose2dVjp(const VjpArgs &a) {
  const Tensor &x = *a.in[0], &weight = *a.in[1];
  Pairs p;
  p.n = x.dim(0);
  p.c = x.dim(1);
  p.h = x.dim(2);
  p.w = x.dim(3);
  p.fg = weight.dim(1);
  p.groups = a.node.getInt("groups");
  p.cg = p.c / p.groups;
  p.y = windowAxisOf(a.node, weight.dim(2), 0);
  p.x = windowAxisOf(a.node, weight.dim(3), 1);
  p.from = a.placed[0].region;
  p.rows = a.out.region.axes[0];
  p.cols = a.out.region.axes[1];
  p.oh = p.rows.size();
  p.ow = p.cols.size();
  int64_t m = p.fg * p.groups, taps = p.y.kernel * p.x.kernel;
  const Tensor &dy = a.grad;
  std::vector<Tensor> grads(a.in.size());
  auto tapOf = [&](int64_t ic, int64_t f, int64_t ky, int64_t kx) {
    return ((ic * p.fg + f) * p.y.kernel + ky) * p.x.kernel + kx;
  };
  if (a.wanted[0]) {
    Tensor dx(x.shape);
    parallelFor(p.n * p.c, [&](int64_t job) {
      int64_t b = job / p.c, ic = job % p.c, g = ic / p.cg;
      std::vector<double> acc(size_t(p.h * p.w), 0.0);
      for (int64_t f = 0; f < p.fg; ++f) {
        const float *plane =
            dy.data.data() + ((b * m + g * p.fg + f) * p.oh * p.ow);
        p.forEach([&](int64_t ky, int64_t kx, int64_t at, int64_t to) {
          acc[size_t(at)] += weight.data[tapOf(ic, f, ky, kx)] * plane[to];
        });
      }
      std::copy(acc.begin(), acc.end(), dx.data.data() + (job * p.h * p.w));
    });
    grads[0] = std::move(dx);
  }
  if (a.wanted[1]) {
    Tensor dw(weight.shape);
    parallelFor(p.c, [&](int64_t ic) {
      int64_t g = ic / p.cg;
      std::vector<double> acc(size_t(p.fg * taps), 0.0);
      for (int64_t b = 0; b < p.n; ++b) {
        const float *in = x.data.data() + ((b * p.c + ic) * p.h * p.w);
        for (int64_t f = 0; f < p.fg; ++f) {
          const float *plane =
              dy.data.data() + ((b * m + g * p.fg + f) * p.oh * p.ow);
          p.forEach([&](int64_t ky, int64_t kx, int64_t at, int64_t to) {
            acc[size_t(f * taps + ky * p.x.kernel + kx)] +=
                double(in[at]) * plane[to];
          });
        }
      }
      std::copy(acc.begin(), acc.end(), dw.data.data() + (ic * p.fg * taps));
    });
    grads[1] = std::move(dw);
  }
  if (a.in.size() > 2 && a.wanted[2]) {
    Tensor db(a.in[2]->shape);
    int64_t plane = p.oh * p.ow;
    for (int64_t oc = 0; oc < m; ++oc) {
      double sum = 0;
      for (int64_t b = 0; b < p.n; ++b)
        for (int64_t i = 0; i < plane; ++i)
          sum += dy.data[(b * m + oc) * plane + i];
      db.data[oc] = float(sum);
    }
    grads[2] = std::move(db);
  }
  return grads;
}

} // namespace

void addConvTransposeVjps(VjpTable &table) {
  table["conv_transpose2d"] = convTranspose2dVjp;
}

} // namespace sstep::reference
