//===- PoolGrad.cpp - Max pooling's plane kernels for the backward pass ---===//

#include "runtime/cpu/PoolGrad.h"
#include "runtime/reference/PoolGeometry.h"

#include <cmath>
#include <limits>

namespace sstep::cpu {
namespace {

using reference::PoolGeometry;

/// Per output index along one axis: whether its whole window lies inside
/// the image (no tap needs a bounds check).
std::vector<char> insideAlong(const WindowAxis &a, const Interval &out,
                              int64_t image) {
  std::vector<char> inside(size_t(out.size()));
  for (int64_t o = out.lo; o <= out.hi; ++o) {
    int64_t first = o * a.stride - a.padBegin;
    inside[size_t(o - out.lo)] = first >= 0 && first + a.extent() <= image;
  }
  return inside;
}

/// The picked tap's offset in a plane holding the block `from`, or -1.
/// Where the window is inside the image, taps are at fixed offsets from
/// the first; elsewhere reference::forEachTap walks them.
struct Picker {
  const PoolGeometry &g;
  const Placed &from;
  std::vector<char> rowsInside, colsInside;
  std::vector<int64_t> offsets; // of each tap from the window's first

  Picker(const PoolGeometry &g, const Placed &from, const Region &out)
      : g(g), from(from),
        rowsInside(insideAlong(g.y, out.axes[0], from.image[0])),
        colsInside(insideAlong(g.x, out.axes[1], from.image[1])) {
    int64_t stride = from.region.axes[1].size();
    for (int64_t ky = 0; ky < g.y.kernel; ++ky)
      for (int64_t kx = 0; kx < g.x.kernel; ++kx)
        offsets.push_back(ky * g.y.dilation * stride + kx * g.x.dilation);
  }

  int64_t pick(const float *plane, int64_t oy, int64_t ox, int64_t row,
               int64_t col) const {
    float best = -std::numeric_limits<float>::infinity();
    int64_t at = -1;
    auto visit = [&](int64_t tap) {
      if (at < 0)
        at = tap; // all -inf: the first tap, as PyTorch
      if (std::isnan(best))
        return; // the first NaN wins
      float v = plane[tap];
      if (v > best || std::isnan(v)) {
        best = v;
        at = tap;
      }
    };
    if (rowsInside[size_t(row)] && colsInside[size_t(col)]) {
      int64_t first =
          reference::local(oy * g.y.stride - g.y.padBegin,
                           from.region.axes[0]) *
              from.region.axes[1].size() +
          reference::local(ox * g.x.stride - g.x.padBegin, from.region.axes[1]);
      for (int64_t o : offsets)
        visit(first + o);
    } else {
      reference::forEachTap(g, from, oy, ox, false, visit);
    }
    return at;
  }
};

/// Whether `x` holds `from` and `from` the windows of the outputs `to`.
bool holdsWindows(const Node &node, const Tensor &x, const Placed &from,
                  const Region &to) {
  if (node.op != "max_pool2d" || x.rank() != 4 || x.data.empty() ||
      to.empty() || x.dim(2) != from.region.axes[0].size() ||
      x.dim(3) != from.region.axes[1].size())
    return false;
  PoolGeometry g = reference::poolGeometryOf(node);
  WindowAxis axes[2] = {g.y, g.x};
  reference::WindowReads reads = reference::windowReads(to, axes, from.image);
  return reads.region.empty() || from.region.contains(reads.region);
}

} // namespace

std::optional<Tensor> maxPoolForward(const Node &node, const Tensor &x,
                                     const Placed &from, const Placed &to) {
  if (!holdsWindows(node, x, from, to.region))
    return std::nullopt;
  PoolGeometry g = reference::poolGeometryOf(node);
  Picker picker(g, from, to.region);
  const Interval &rows = to.region.axes[0], &cols = to.region.axes[1];
  int64_t hw = x.dim(2) * x.dim(3), oh = rows.size(), ow = cols.size();
  Tensor y({x.dim(0), x.dim(1), oh, ow});
  reference::parallelFor(x.dim(0) * x.dim(1), [&](int64_t p) {
    const float *plane = x.data.data() + p * hw;
    float *dst = y.data.data() + p * oh * ow;
    for (int64_t r = 0; r < oh; ++r)
      for (int64_t c = 0; c < ow; ++c) {
        int64_t at = picker.pick(plane, rows.lo + r, cols.lo + c, r, c);
        dst[r * ow + c] =
            at < 0 ? -std::numeric_limits<float>::infinity() : plane[at];
      }
  });
  return y;
}

std::optional<std::vector<Tensor>> maxPoolVjp(const reference::VjpArgs &a) {
  if (a.in.empty() ||
      !holdsWindows(a.node, *a.in[0], a.placed[0], a.out.region))
    return std::nullopt;
  std::vector<Tensor> grads(a.in.size());
  if (!a.wanted[0])
    return grads;
  const Tensor &x = *a.in[0];
  PoolGeometry g = reference::poolGeometryOf(a.node);
  Picker picker(g, a.placed[0], a.out.region);
  const Interval &rows = a.out.region.axes[0], &cols = a.out.region.axes[1];
  int64_t hw = x.dim(2) * x.dim(3), oh = rows.size(), ow = cols.size();
  Tensor dx(x.shape);
  reference::parallelFor(x.dim(0) * x.dim(1), [&](int64_t p) {
    const float *plane = x.data.data() + p * hw;
    const float *dy = a.grad.data.data() + p * oh * ow;
    float *to = dx.data.data() + p * hw;
    // An input picked by several outputs sums their gradients in output
    // order, in float.
    for (int64_t r = 0; r < oh; ++r)
      for (int64_t c = 0; c < ow; ++c) {
        int64_t at = picker.pick(plane, rows.lo + r, cols.lo + c, r, c);
        if (at >= 0)
          to[at] += dy[r * ow + c];
      }
  });
  grads[0] = std::move(dx);
  return grads;
}

} // namespace sstep::cpu
