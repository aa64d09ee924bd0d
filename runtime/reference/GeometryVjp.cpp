//===- GeometryVjp.cpp - Gradients of pad and resize ----------------------===//
//
// The adjoints of the forward gathers: each output gradient goes back to the
// input pixels its forward value was read from, through the same per-axis
// tables (GeometryTables.h). A pad's constant border receives nothing; an
// edge or reflect pad's border adds into the pixel it copied; a linear
// resize splits each gradient over its four taps by their weights.
//
//===----------------------------------------------------------------------===//

#include "runtime/reference/GeometryTables.h"
#include "runtime/reference/Vjp.h"

namespace sstep::reference {
namespace {

/// dx over the input block from per-axis taps: scatter(plane, dy, acc)
/// adds one plane's output gradient into its fp64 accumulators.
template <typename Scatter>
std::vector<Tensor> scatterVjp(const VjpArgs &a, Scatter scatter) {
  std::vector<Tensor> grads(a.in.size());
  if (!a.wanted[0])
    return grads;
  const Tensor &x = *a.in[0];
  int64_t planes = x.dim(0) * x.dim(1), hw = x.dim(2) * x.dim(3);
  int64_t ohw = a.grad.dim(2) * a.grad.dim(3);
  Tensor dx(x.shape);
  parallelFor(planes, [&](int64_t p) {
    std::vector<double> acc(size_t(hw), 0.0);
    scatter(a.grad.data.data() + (p * ohw), acc.data());
    std::copy(acc.begin(), acc.end(), dx.data.data() + (p * hw));
  });
  grads[0] = std::move(dx);
  return grads;
}

std::vector<Tensor> pad2dVjp(const VjpArgs &a) {
  const auto &pads = a.node.getInts("pads");
  const std::string &mode = a.node.getString("mode");
  std::vector<int64_t> rows =
      padTable(a.out.region.axes[0], pads[0], a.placed[0], 0, mode);
  std::vector<int64_t> cols =
      padTable(a.out.region.axes[1], pads[1], a.placed[0], 1, mode);
  int64_t w = a.in[0]->dim(3), ow = int64_t(cols.size());
  return scatterVjp(a, [&](const float *dy, double *acc) {
    for (size_t y = 0; y < rows.size(); ++y)
      for (size_t c = 0; c < cols.size(); ++c)
        if (rows[y] >= 0 && cols[c] >= 0)
          acc[rows[y] * w + cols[c]] += dy[int64_t(y) * ow + int64_t(c)];
  });
}

std::vector<Tensor> resize2dVjp(const VjpArgs &a) {
  AxisTable ty = resizeTable(resizeRule(a.node, 0), a.out.region.axes[0],
                             a.placed[0], a.out.image[0], 0);
  AxisTable tx = resizeTable(resizeRule(a.node, 1), a.out.region.axes[1],
                             a.placed[0], a.out.image[1], 1);
  int64_t w = a.in[0]->dim(3), ow = int64_t(tx.lo.size());
  return scatterVjp(a, [&](const float *dy, double *acc) {
    for (size_t y = 0; y < ty.lo.size(); ++y) {
      double fy = ty.frac[y];
      double *r0 = acc + ty.lo[y] * w, *r1 = acc + ty.hi[y] * w;
      for (size_t c = 0; c < tx.lo.size(); ++c) {
        double g = dy[int64_t(y) * ow + int64_t(c)], fx = tx.frac[c];
        r0[tx.lo[c]] += g * (1 - fy) * (1 - fx);
        r0[tx.hi[c]] += g * (1 - fy) * fx;
        r1[tx.lo[c]] += g * fy * (1 - fx);
        r1[tx.hi[c]] += g * fy * fx;
      }
    }
  });
}

} // namespace

void addGeometryVjps(VjpTable &table) {
  table["pad2d"] = pad2dVjp;
  table["resize2d"] = resize2dVjp;
}

} // namespace sstep::reference
