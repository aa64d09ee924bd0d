//===- ChannelGather.cpp - Channel slices and shuffles, in the layout -----===//
//
// ShuffleNet splits every block's channels in two (`x.chunk(2, dim=1)`, an
// ONNX Slice over channels) and deals them out again (a channel shuffle).
// oneDNN views a channel range of a blocked layout only at block
// boundaries, and the halves of 48 channels in 16-lane blocks start at 24;
// the reference kernels took a whole tile per node. Both are a gather: each
// output channel is one input channel. Here each output lane is copied from
// its source lane, pixel by pixel, in the input block's layout (plain or
// channel-blocked), padding kept zero.
//
// Example: channels [24, 48) of 48 in 16-lane blocks: output lane 0 of
// block 0 reads block 1, lane 8; output block 1, lane 7 reads block 2,
// lane 15.
//
//===----------------------------------------------------------------------===//

#include "dialects/sstep/IR/ShapeRules.h"
#include "runtime/cpu/CpuBackend.h"
#include "runtime/reference/Kernels.h"

namespace sstep::cpu {
namespace {

/// Per output channel of `node` (a channel slice or shuffle of an input of
/// `channels`), the input channel it copies; empty if there is none.
std::vector<int64_t> sourceChannels(const Node &node, int64_t channels) {
  std::vector<int64_t> sources;
  if (node.op == "slice") {
    const int64_t step = node.getInts("steps")[0];
    if (step < 1)
      return {};
    shape::SliceRange range = shape::sliceRange(
        channels, node.getInts("starts")[0], node.getInts("ends")[0], step);
    for (int64_t c = 0; c < range.count; ++c)
      sources.push_back(range.first + c * step);
  } else {
    // Output channel j * groups + i is input channel i * (C / groups) + j.
    const int64_t groups = node.getInt("groups");
    if (groups < 1 || channels % groups != 0)
      return {};
    for (int64_t c = 0; c < channels; ++c)
      sources.push_back((c % groups) * (channels / groups) + c / groups);
  }
  return sources;
}

} // namespace

Block CpuBackend::runChannelGather(const Node &node) {
  auto unsupported = [] {
    throw dnnl::error(dnnl_unimplemented, "no channel gather for this layout");
  };
  if (!isChannelGather(node, *program))
    unsupported();
  const Region &out = w->compute[node.results[0]];
  const Block &input = blockOf(node.operands[0]);
  memory::dims in = input.dims();
  std::vector<int64_t> sources = sourceChannels(node, in[1]);
  const int64_t channels = int64_t(sources.size());
  if (channels < 1 || program->values[node.results[0]].shape[1] != channels)
    unsupported();
  memory::desc desc =
      layoutLike(input.mem.get_desc(),
                 {in[0], channels, out.axes[0].size(), out.axes[1].size()});
  std::optional<PixelLayout> from = pixelLayoutOf(input.mem.get_desc());
  std::optional<PixelLayout> to = pixelLayoutOf(desc);
  if (!from || !to)
    unsupported();
  Block result = newBlock(device, out, desc);
  device.stream.wait();
  const float *x = static_cast<const float *>(input.mem.get_data_handle());
  float *y = static_cast<float *>(result.mem.get_data_handle());
  const int64_t lanes = to->lanes, blocks = (channels + lanes - 1) / lanes;
  const int64_t rows = out.axes[0].size(), cols = out.axes[1].size();
  const int64_t dy = out.axes[0].lo - input.region.axes[0].lo,
                dx = out.axes[1].lo - input.region.axes[1].lo;
  reference::parallelFor(in[0] * blocks * rows, [&](int64_t i) {
    const int64_t r = i % rows, b = (i / rows) % blocks, n = i / rows / blocks;
    // Each output lane's offset in the input row; -1 for padding.
    std::vector<int64_t> source(size_t(lanes), -1);
    for (int64_t k = 0; k < lanes && b * lanes + k < channels; ++k)
      source[size_t(k)] =
          from->at(n, sources[size_t(b * lanes + k)], r + dy, dx);
    float *q = y + to->at(n, b * lanes, r, 0);
    for (int64_t c = 0; c < cols; ++c, q += to->stride[3])
      for (int64_t k = 0; k < lanes; ++k)
        q[k] = source[size_t(k)] < 0
                   ? 0.0f
                   : x[source[size_t(k)] + c * from->stride[3]];
  });
  ++count.nativeNodes;
  return result;
}

} // namespace sstep::cpu
