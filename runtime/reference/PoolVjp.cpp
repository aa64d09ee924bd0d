//===- PoolVjp.cpp - Gradients of the reference max and average pools -----===//
//
// A max pool sends each output's gradient to the tap its forward pass
// picked: the first maximum in the window's row-major order, as PyTorch's
// does (PoolGeometry.h walks the same taps for both). An average pool
// spreads it evenly over the in-image taps, divided by the same count the
// forward pass divided by (count_include_pad, ceil_mode's overhang).
//
// A reduction over channels (CBAM's mean and maximum) sends each output's
// gradient to every channel (sum), divided by their count (mean), or to the
// channels holding the maximum or minimum, split evenly among ties as
// PyTorch's amax and amin do (after a ReLU, a pixel whose channels are all
// zero ties them all).
//
//===----------------------------------------------------------------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/reference/NormGroups.h"
#include "runtime/reference/PoolGeometry.h"
#include "runtime/reference/Vjp.h"

#include <cmath>
#include <limits>

namespace sstep::reference {
namespace {

/// dx over the input block: perPixel(g, plane, oy, ox, dst, dy) adds output
/// (oy, ox)'s share into the plane's fp64 accumulators `dst`.
template <typename PerPixel>
std::vector<Tensor> poolVjp(const VjpArgs &a, PerPixel perPixel) {
  std::vector<Tensor> grads(a.in.size());
  if (!a.wanted[0])
    return grads;
  const Tensor &x = *a.in[0];
  PoolGeometry g = poolGeometryOf(a.node);
  const Placed &from = a.placed[0];
  int64_t planes = x.dim(0) * x.dim(1), hw = x.dim(2) * x.dim(3);
  const Interval &rows = a.out.region.axes[0], &cols = a.out.region.axes[1];
  int64_t ow = cols.size(), ohw = rows.size() * ow;
  Tensor dx(x.shape);
  parallelFor(planes, [&](int64_t p) {
    std::vector<double> acc(size_t(hw), 0.0);
    // An average pool's input may be shape-only (its VjpRule reads nothing).
    const float *plane = x.data.empty() ? nullptr : x.data.data() + p * hw;
    const float *dy = a.grad.data.data() + (p * ohw);
    for (int64_t oy = rows.lo; oy <= rows.hi; ++oy)
      for (int64_t ox = cols.lo; ox <= cols.hi; ++ox)
        perPixel(g, from, plane, oy, ox, acc.data(),
                 double(dy[(oy - rows.lo) * ow + ox - cols.lo]));
    std::copy(acc.begin(), acc.end(), dx.data.data() + (p * hw));
  });
  grads[0] = std::move(dx);
  return grads;
}

std::vector<Tensor> maxPoolVjp(const VjpArgs &a) {
  return poolVjp(a, [](const PoolGeometry &g, const Placed &from,
                       const float *plane, int64_t oy, int64_t ox, double *acc,
                       double dy) {
    float best = -std::numeric_limits<float>::infinity();
    int64_t bestAt = -1;
    forEachTap(g, from, oy, ox, false, [&](int64_t at) {
      if (bestAt < 0)
        bestAt = at; // all -inf: the first tap, as PyTorch
      if (std::isnan(best))
        return; // the first NaN wins
      if (plane[at] > best || std::isnan(plane[at])) {
        best = plane[at];
        bestAt = at;
      }
    });
    if (bestAt >= 0)
      acc[bestAt] += dy;
  });
}

std::vector<Tensor> avgPoolVjp(const VjpArgs &a) {
  bool countPad = a.node.getInt("count_include_pad") != 0;
  return poolVjp(a, [countPad](const PoolGeometry &g, const Placed &from,
                               const float *, int64_t oy, int64_t ox,
                               double *acc, double dy) {
    int64_t count = forEachTap(g, from, oy, ox, countPad, [](int64_t) {});
    if (count == 0)
      return;
    double share = dy / double(count);
    forEachTap(g, from, oy, ox, countPad,
               [&](int64_t at) { acc[at] += share; });
  });
}

/// Groups are in row-major order of the kept axes, as the result's
/// elements are (keepdims), so group k's output is element k.
std::vector<Tensor> reduceVjp(const VjpArgs &a) {
  std::vector<Tensor> grads(a.in.size());
  if (!a.wanted[0])
    return grads;
  const std::string &kind = a.node.getString("kind");
  const bool extreme = kind == "max" || kind == "min";
  if (!extreme && kind != "sum" && kind != "mean")
    throw RuntimeError(a.node.describe() + ": no gradient for a '" + kind +
                       "' reduction");
  Cropped c = cropToOutput(a);
  const Shape &shape = c.operands[0]->shape;
  Groups g = groupsOf(a.node, shape, a.node.getInts("axes"));
  if (int64_t(g.starts.size()) != a.grad.size())
    throw RuntimeError(a.node.describe() +
                       ": a reduction's gradient needs keepdims");
  const double n = double(g.members.size());
  Tensor dx(shape);
  parallelFor(int64_t(g.starts.size()), [&](int64_t k) {
    const int64_t start = g.starts[size_t(k)];
    const double dy = a.grad.data[size_t(k)];
    if (!extreme) {
      const float share = float(kind == "mean" ? dy / n : dy);
      for (int64_t m : g.members)
        dx.data[start + m] = share;
      return;
    }
    const Tensor &x = *c.operands[0];
    const float y = a.result.data[size_t(k)];
    int64_t ties = 0;
    for (int64_t m : g.members)
      ties += x.data[start + m] == y;
    for (int64_t m : g.members)
      dx.data[start + m] =
          x.data[start + m] == y ? float(dy / double(ties)) : 0;
  });
  grads[0] = place(a, c, 0, std::move(dx));
  return grads;
}

} // namespace

void addPoolVjps(VjpTable &table) {
  table["max_pool2d"] = maxPoolVjp;
  table["reduce"] = reduceVjp;
  table["avg_pool2d"] = avgPoolVjp;
}

} // namespace sstep::reference
