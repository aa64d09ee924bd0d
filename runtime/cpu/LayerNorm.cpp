//===- LayerNorm.cpp - Layer norm over channels, in the block's layout ----===//
//
// ConvNeXt's LayerNorm normalises each pixel over its channels. oneDNN 2.6's
// layer normalisation wants the channels innermost and contiguous, which a
// channel-blocked block (nChw16c) is not: a reorder to NHWC and back would
// move the block twice. Here the block is read in whatever layout it has,
// one image row at a time: per pixel, the mean, then the variance about it
// (two passes, as the reference and PyTorch do), then the normalised,
// scaled and shifted channels written in the same layout, padding kept zero.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/CpuBackend.h"
#include "runtime/reference/Kernels.h"

#include <cmath>

namespace sstep::cpu {
namespace {

/// A constant of one value per channel.
const float *perChannel(const Tensor &t, int64_t channels) {
  return t.size() == channels ? t.data.data() : nullptr;
}

void unsupported() {
  throw dnnl::error(dnnl_unimplemented, "no layer norm for this layout");
}

} // namespace

Block CpuBackend::runLayerNorm(const Node &node) {
  if (!isChannelLayerNorm(node, *program))
    unsupported();
  const Region &out = w->compute[node.results[0]];
  const Block &input = blockOf(node.operands[0]);
  memory::desc desc = layoutOver(input, out);
  std::optional<PixelLayout> layout = pixelLayoutOf(desc);
  memory::dims dims = desc.dims();
  const int64_t images = dims[0], channels = dims[1], rows = dims[2],
                cols = dims[3];
  const float *scale = perChannel(whole(node.operands[1]), channels);
  const float *shift = node.operands.size() > 2
                           ? perChannel(whole(node.operands[2]), channels)
                           : nullptr;
  if (!layout || !scale || (node.operands.size() > 2 && !shift))
    unsupported();
  memory src = extract(device, input, out, desc);
  Block result = newBlock(device, out, desc);
  device.stream.wait();
  const float *x = static_cast<const float *>(src.get_data_handle());
  float *y = static_cast<float *>(result.mem.get_data_handle());
  const PixelLayout l = *layout;
  const int64_t lanes = l.lanes;
  const int64_t blocks = (channels + lanes - 1) / lanes;
  const float epsilon = float(node.getFloat("epsilon"));
  reference::parallelFor(images * rows, [&](int64_t row) {
    const int64_t n = row / rows, r = row % rows;
    // Per pixel and lane, summed over the channel blocks.
    std::vector<float> acc(cols * lanes), mean(cols), inv(cols);
    auto sumOverChannels = [&](auto term, std::vector<float> &into) {
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t valid = std::min(lanes, channels - b * lanes);
        const float *p = x + l.at(n, b * lanes, r, 0);
        for (int64_t c = 0; c < cols; ++c)
          for (int64_t k = 0; k < valid; ++k)
            acc[c * lanes + k] += term(p[c * l.stride[3] + k], c);
      }
      for (int64_t c = 0; c < cols; ++c) {
        float s = 0;
        for (int64_t k = 0; k < lanes; ++k)
          s += acc[c * lanes + k];
        into[c] = s / float(channels);
      }
    };
    sumOverChannels([](float v, int64_t) { return v; }, mean);
    sumOverChannels(
        [&](float v, int64_t c) {
          float d = v - mean[c];
          return d * d;
        },
        inv);
    for (int64_t c = 0; c < cols; ++c)
      inv[c] = 1.0f / std::sqrt(inv[c] + epsilon);
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t valid = std::min(lanes, channels - b * lanes);
      const float *p = x + l.at(n, b * lanes, r, 0);
      float *q = y + l.at(n, b * lanes, r, 0);
      for (int64_t c = 0; c < cols; ++c) {
        for (int64_t k = 0; k < valid; ++k) {
          int64_t ch = b * lanes + k;
          float v = (p[c * l.stride[3] + k] - mean[c]) * inv[c] * scale[ch];
          q[c * l.stride[3] + k] = shift ? v + shift[ch] : v;
        }
        for (int64_t k = valid; k < lanes; ++k)
          q[c * l.stride[3] + k] = 0.0f;
      }
    }
  });
  ++count.nativeNodes;
  return result;
}

} // namespace sstep::cpu
