//===- Crop.cpp - Spatial crops by fixed margins, in the layout -----------===//
//
// HoVer-Net crops its skips by fixed margins (`x[:, :, 2:-2, 2:-2]`, a pad2d
// with negative pads after canonicalization). The output block over rows
// [a, b] is the input block over rows [a + 2, b + 2], which the window rule
// made the input's compute window contain: one reorder from a sub-memory
// view, in the input's layout.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/cpu/CpuBackend.h"

namespace sstep::cpu {

bool isSpatialCrop(const Node &node) {
  if (node.op != "pad2d")
    return false;
  for (int64_t pad : node.getInts("pads"))
    if (pad > 0)
      return false;
  return true;
}

Block CpuBackend::runCrop(const Node &node) {
  if (!isSpatialCrop(node))
    throw dnnl::error(dnnl_unimplemented, "pads that add pixels");
  const std::vector<int64_t> pads = node.getInts("pads");
  const Region &out = w->compute[node.results[0]];
  Region from = out;
  for (int axis = 0; axis < 2; ++axis) {
    from.axes[axis].lo -= pads[size_t(axis)];
    from.axes[axis].hi -= pads[size_t(axis)];
  }
  const Block &input = blockOf(node.operands[0]);
  if (!input.region.contains(from))
    throw RuntimeError(node.describe() + ": the input block does not hold " +
                       formatRegion(from));
  Block result = newBlock(device, out, layoutOver(input, from));
  copyRegion(device, input, from, result.mem);
  ++count.nativeNodes;
  return result;
}

} // namespace sstep::cpu
