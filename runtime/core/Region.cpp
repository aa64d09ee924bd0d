//===- Region.cpp - Blocks of images: crop and paste ----------------------===//

#include "runtime/core/Region.h"

#include <algorithm>

namespace sstep {

std::string formatRegion(const Region &region) {
  auto axis = [](Interval i) {
    return i.empty()
               ? std::string("[]")
               : "[" + std::to_string(i.lo) + ", " + std::to_string(i.hi) + "]";
  };
  return axis(region.axes[0]) + " x " + axis(region.axes[1]);
}

void paste(Tensor &dst, const Region &to, const Tensor &src, const Region &from,
           const Region &region) {
  if (region.empty())
    return;
  int64_t planes = src.dim(0) * src.dim(1);
  int64_t sh = src.dim(2), sw = src.dim(3), dh = dst.dim(2), dw = dst.dim(3);
  int64_t rows = region.axes[0].size(), cols = region.axes[1].size();
  int64_t sy = region.axes[0].lo - from.axes[0].lo;
  int64_t sx = region.axes[1].lo - from.axes[1].lo;
  int64_t dy = region.axes[0].lo - to.axes[0].lo;
  int64_t dx = region.axes[1].lo - to.axes[1].lo;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t y = 0; y < rows; ++y) {
      const float *s = src.data.data() + ((p * sh + sy + y) * sw + sx);
      std::copy(s, s + cols, dst.data.data() + ((p * dh + dy + y) * dw + dx));
    }
}

Tensor crop(const Tensor &t, const Region &from, const Region &region) {
  Size2 extent = region.empty() ? Size2{0, 0} : region.extent();
  Tensor out({t.dim(0), t.dim(1), extent[0], extent[1]});
  paste(out, region, t, from, region);
  return out;
}

} // namespace sstep
