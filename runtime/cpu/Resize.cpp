//===- Resize.cpp - Nearest and linear resizes, in the block's layout -----===//
//
// A U-Net's upsampling (ONNX Resize, nearest or linear) read every output
// pixel through the reference kernels' per-axis tap tables, one channel at a
// time. The same tables (reference/GeometryTables.h: for each output row and
// column its two source taps, as indices into the input block, and the
// second's weight) drive this kernel over the block in its own layout, all
// the lanes of a channel block at once. Each pixel's arithmetic is the
// reference's, in double, so it is the same whatever the tile (a nearest
// resize copies: NaN where the reference would multiply inf by 0 is not
// reproduced).
//
// Example: nearest, scale 2, output rows [6, 9] of an input block holding
// rows [2, 5]: row taps {3, 3, 4, 4} - 2 = {1, 1, 2, 2}, weights 0.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/CpuBackend.h"
#include "runtime/reference/GeometryTables.h"

#include <cstring>

namespace sstep::cpu {

Block CpuBackend::runResize(const Node &node) {
  const int v = node.operands[0], r = node.results[0];
  const Region &out = w->compute[r];
  const Block &input = blockOf(v);
  std::optional<PixelLayout> from = pixelLayoutOf(input.mem.get_desc());
  memory::desc desc = layoutOver(input, out);
  std::optional<PixelLayout> to = pixelLayoutOf(desc);
  if (!from || !to || from->lanes != to->lanes)
    throw dnnl::error(dnnl_unimplemented, "no resize for this layout");
  Placed placed{input.region, (*sizes)[v]};
  reference::AxisTable rows = reference::resizeTable(
      reference::resizeRule(node, 0), out.axes[0], placed, (*sizes)[r][0], 0);
  reference::AxisTable cols = reference::resizeTable(
      reference::resizeRule(node, 1), out.axes[1], placed, (*sizes)[r][1], 1);
  Block result = newBlock(device, out, desc);
  device.stream.wait();
  const float *x = static_cast<const float *>(input.mem.get_data_handle());
  float *y = static_cast<float *>(result.mem.get_data_handle());
  memory::dims dims = desc.dims();
  const int64_t lanes = to->lanes, blocks = (dims[1] + lanes - 1) / lanes;
  const int64_t height = dims[2], width = dims[3];
  bool nearest = node.getString("mode") != "linear";
  reference::parallelFor(dims[0] * blocks * height, [&](int64_t i) {
    const int64_t row = i % height, b = (i / height) % blocks,
                  n = i / height / blocks, c = b * lanes;
    float *q = y + to->at(n, c, row, 0);
    const float *r0 = x + from->at(n, c, rows.lo[row], 0);
    const float *r1 = x + from->at(n, c, rows.hi[row], 0);
    const double fy = rows.frac[row];
    for (int64_t j = 0; j < width; ++j, q += to->stride[3]) {
      const int64_t a = cols.lo[j] * from->stride[3],
                    e = cols.hi[j] * from->stride[3];
      if (nearest) {
        std::memcpy(q, r0 + a, lanes * sizeof(float));
        continue;
      }
      const double fx = cols.frac[j];
      for (int64_t k = 0; k < lanes; ++k) {
        double top = r0[a + k] * (1 - fx) + r0[e + k] * fx;
        double bottom = r1[a + k] * (1 - fx) + r1[e + k] * fx;
        q[k] = float(top * (1 - fy) + bottom * fy);
      }
    }
  });
  ++count.nativeNodes;
  return result;
}

} // namespace sstep::cpu
