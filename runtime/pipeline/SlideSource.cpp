//===- SlideSource.cpp - A slide level as a streamed model input ----------===//

#include "runtime/pipeline/SlideSource.h"

#include <chrono>

namespace sstep::pipeline {
namespace {

std::array<std::array<float, 256>, 3> tablesOf(const Normalization &n) {
  std::array<std::array<float, 256>, 3> tables;
  for (int c = 0; c < 3; ++c)
    tables[size_t(c)] = n.table(c);
  return tables;
}

} // namespace

SlideSource::SlideSource(const slide::SlideReader &reader, int level,
                         Normalization normalization, size_t readAhead)
    : reader_(reader), level_(level), height_(reader.level(level).height),
      width_(reader.level(level).width), table_(tablesOf(normalization)),
      ahead_([this](const Region &region) { return load(region); }, readAhead) {
}

Shape SlideSource::shape() const { return {1, 3, height_, width_}; }

double SlideSource::decodeSeconds() const {
  return double(decodeNanoseconds_.load()) * 1e-9;
}

Tensor SlideSource::load(const Region &region) const {
  auto start = std::chrono::steady_clock::now();
  int64_t h = region.axes[0].size(), w = region.axes[1].size();
  slide::RGBImage rgb =
      reader_.readRegion(level_, region.axes[1].lo, region.axes[0].lo, w, h);
  Tensor t({1, 3, h, w});
  const int64_t plane = h * w;
  const uint8_t *src = rgb.pixels.data();
  float *dst = t.data.data();
  for (int64_t i = 0; i < plane; ++i, src += 3) {
    dst[i] = table_[0][src[0]];
    dst[plane + i] = table_[1][src[1]];
    dst[2 * plane + i] = table_[2][src[2]];
  }
  decodeNanoseconds_ += std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
  return t;
}

} // namespace sstep::pipeline
