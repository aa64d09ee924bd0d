//===- Region.h - Where a tensor's pixels sit in its image -------*- C++
//-*-===//
//
// A tile computes a block of each value it touches. A Placed tensor knows
// which block of its whole image it holds, so a kernel can tell an interior
// tile edge (read the neighbour pixel, which the block holds) from the image
// border (apply the op's border rule).
//
// Example: rows [64, 127] and columns [0, 95] of a 200x96 image are
// Placed{Region{{64, 127}, {0, 95}}, {200, 96}}; row 200 is border, row 63 is
// outside the block and must never be read.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CORE_REGION_H
#define SSTEP_RUNTIME_CORE_REGION_H

#include "dialects/sstep/IR/SpatialRules.h"
#include "runtime/core/Tensor.h"

#include <array>
#include <string>

namespace sstep {

/// Height and width of an image.
using Size2 = std::array<int64_t, 2>;

/// A block of pixels: an interval per spatial axis (0 = H, 1 = W).
struct Region {
  std::array<Interval, 2> axes;

  static Region whole(Size2 size) {
    return {{Interval{0, size[0] - 1}, Interval{0, size[1] - 1}}};
  }
  bool empty() const { return axes[0].empty() || axes[1].empty(); }
  int64_t pixels() const { return axes[0].size() * axes[1].size(); }
  Size2 extent() const { return {axes[0].size(), axes[1].size()}; }
  bool contains(const Region &o) const {
    return o.empty() ||
           (axes[0].contains(o.axes[0]) && axes[1].contains(o.axes[1]));
  }
  Region hull(const Region &o) const {
    if (empty())
      return o;
    if (o.empty())
      return *this;
    return {{axes[0].hull(o.axes[0]), axes[1].hull(o.axes[1])}};
  }
  Region intersect(const Region &o) const {
    return {{axes[0].intersect(o.axes[0]), axes[1].intersect(o.axes[1])}};
  }
  friend bool operator==(const Region &a, const Region &b) {
    return (a.empty() && b.empty()) || a.axes == b.axes;
  }
};

/// "[64, 127] x [0, 95]" for messages and plan dumps.
std::string formatRegion(const Region &region);

/// Which block of an image of size `image` a tensor holds.
struct Placed {
  Region region;
  Size2 image{0, 0};

  static Placed whole(Size2 size) { return {Region::whole(size), size}; }
};

/// The pixels of `region` (inside `from`'s block) of an NCHW tensor holding
/// block `from`.
Tensor crop(const Tensor &t, const Region &from, const Region &region);

/// Copies `src`, which holds block `from`, into `dst`, which holds block `to`,
/// over `region` (inside both).
void paste(Tensor &dst, const Region &to, const Tensor &src, const Region &from,
           const Region &region);

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_REGION_H
