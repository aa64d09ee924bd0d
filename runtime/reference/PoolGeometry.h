//===- PoolGeometry.h - The taps of a max or average pool window -*- C++
//-*-===//
//
// Shared by the pools' forward kernels (PoolKernel.cpp) and their gradients
// (PoolVjp.cpp), so both walk the same taps in the same order: the order
// decides which of equal maxima a max pool picks, and its gradient must
// pick the same one.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_REFERENCE_POOLGEOMETRY_H
#define SSTEP_RUNTIME_REFERENCE_POOLGEOMETRY_H

#include "runtime/reference/Kernels.h"

namespace sstep::reference {

struct PoolGeometry {
  WindowAxis y, x;
  bool ceil = false;
};

inline PoolGeometry poolGeometryOf(const Node &node) {
  const auto &kernel = node.getInts("kernel");
  PoolGeometry g;
  g.y = windowAxisOf(node, kernel[0], 0);
  g.x = windowAxisOf(node, kernel[1], 1);
  g.ceil = node.getInt("ceil_mode") != 0;
  return g;
}

/// Calls visit(offset) for every in-image tap of output (oy, ox), row by
/// row, with the tap's offset in a plane holding block `from`; returns how
/// many taps lie inside the image (countPad false) or inside the padded
/// image (countPad true).
template <typename Visit>
int64_t forEachTap(const PoolGeometry &g, const Placed &from, int64_t oy,
                   int64_t ox, bool countPad, Visit visit) {
  int64_t h = from.image[0], w = from.image[1];
  int64_t stride = from.region.axes[1].size();
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
        visit(local(iy, from.region.axes[0]) * stride +
              local(ix, from.region.axes[1]));
      if (countPad ? (yPad && xPad) : (yIn && xIn))
        ++counted;
    }
  }
  return counted;
}

} // namespace sstep::reference

#endif // SSTEP_RUNTIME_REFERENCE_POOLGEOMETRY_H
