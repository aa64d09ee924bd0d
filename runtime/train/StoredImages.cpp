//===- StoredImages.cpp - Whole images a staged backward pass keeps -------===//

#include "runtime/train/StoredImages.h"
#include "runtime/core/RuntimeError.h"

#include <algorithm>

namespace sstep::train {
namespace {

Region wholeOf(const Shape &shape) {
  return Region::whole({shape[2], shape[3]});
}

} // namespace

void addBlock(Tensor &into, const Region &held, const Tensor &block,
              const Region &region) {
  int64_t planes = into.dim(0) * into.dim(1);
  int64_t rows = region.axes[0].size(), cols = region.axes[1].size();
  int64_t width = held.axes[1].size(), height = held.axes[0].size();
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t y = 0; y < rows; ++y) {
      float *to =
          into.data.data() +
          (p * height + region.axes[0].lo - held.axes[0].lo + y) * width +
          region.axes[1].lo - held.axes[1].lo;
      const float *from = block.data.data() + (p * rows + y) * cols;
      for (int64_t x = 0; x < cols; ++x)
        to[x] += from[x];
    }
}

void StoredImages::create(int v, const std::string &name, const Shape &shape) {
  if (has(v))
    return;
  if (folder.empty()) {
    memory.emplace(v, Tensor(shape));
    return;
  }
  // Tiles narrower than the image write a row of all channels a call.
  disk.emplace(v, std::make_unique<exec::ScratchImage>(folder, name, shape,
                                                       /*interleaved=*/true));
}

const Shape &StoredImages::shapeOf(int v) const {
  if (auto m = memory.find(v); m != memory.end())
    return m->second.shape;
  if (auto d = disk.find(v); d != disk.end())
    return d->second->shape();
  throw RuntimeError("internal error: no stored image " + std::to_string(v));
}

void StoredImages::write(int v, const Tensor &block, const Region &from,
                         const Region &region) {
  if (auto d = disk.find(v); d != disk.end()) {
    d->second->write(block, from, region);
    return;
  }
  Tensor &image = memory.at(v);
  paste(image, wholeOf(image.shape), block, from, region);
}

void StoredImages::add(int v, const Tensor &block, const Region &region) {
  if (auto d = disk.find(v); d != disk.end()) {
    Tensor sum = d->second->read(region);
    addBlock(sum, region, block, region);
    d->second->write(sum, region, region);
    return;
  }
  Tensor &image = memory.at(v);
  addBlock(image, wholeOf(image.shape), block, region);
}

void StoredImages::addPerPlane(int v, const std::vector<double> &perPlane) {
  const Shape &shape = shapeOf(v);
  if (int64_t(perPlane.size()) != shape[0] * shape[1])
    throw RuntimeError("internal error: " + std::to_string(perPlane.size()) +
                       " values for the planes of " + formatShape(shape));
  // A band of rows at a time, so that a file's image is never read whole.
  const int64_t band =
      std::max<int64_t>(1, (1 << 20) / std::max<int64_t>(1, shape[3]));
  for (int64_t top = 0; top < shape[2]; top += band) {
    Region rows{{Interval{top, std::min(shape[2], top + band) - 1},
                 Interval{0, shape[3] - 1}}};
    Tensor part({shape[0], shape[1], rows.axes[0].size(), rows.axes[1].size()});
    int64_t plane = rows.pixels();
    for (size_t p = 0; p < perPlane.size(); ++p)
      std::fill_n(part.data.data() + int64_t(p) * plane, plane,
                  float(perPlane[p]));
    add(v, part, rows);
  }
}

Tensor StoredImages::read(int v, const Region &region) const {
  if (auto d = disk.find(v); d != disk.end())
    return d->second->read(region);
  const Tensor &image = memory.at(v);
  return crop(image, wholeOf(image.shape), region);
}

void StoredImages::erase(int v) {
  memory.erase(v);
  auto d = disk.find(v);
  if (d == disk.end())
    return;
  written += d->second->bytesWritten();
  readBack += d->second->bytesRead();
  disk.erase(d);
}

int64_t StoredImages::memoryBytes() const {
  int64_t bytes = 0;
  for (const auto &[v, t] : memory)
    bytes += int64_t(t.data.size() * sizeof(float));
  return bytes;
}

int64_t StoredImages::diskBytes() const {
  int64_t bytes = 0;
  for (const auto &[v, image] : disk)
    bytes += image->bytes();
  return bytes;
}

int64_t StoredImages::bytesWritten() const {
  int64_t bytes = written;
  for (const auto &[v, image] : disk)
    bytes += image->bytesWritten();
  return bytes;
}

int64_t StoredImages::bytesRead() const {
  int64_t bytes = readBack;
  for (const auto &[v, image] : disk)
    bytes += image->bytesRead();
  return bytes;
}

} // namespace sstep::train
