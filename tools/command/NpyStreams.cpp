//===- NpyStreams.cpp - Tiled runs reading and writing .npy in blocks -----===//

#include "tools/command/NpyStreams.h"

namespace sstep {

Tensor NpySource::read(const Region &r) {
  return file.readBlock(r.axes[0].lo, r.axes[0].size(), r.axes[1].lo,
                        r.axes[1].size());
}

void NpySink::begin(const Shape &shape) {
  out = std::make_unique<NpyWriter>(path, shape);
}

void NpySink::write(const Region &region, const Tensor &block) {
  out->writeBlock(region.axes[0].lo, region.axes[1].lo, block);
}

void NpySink::finish() { out->finish(); }

} // namespace sstep
