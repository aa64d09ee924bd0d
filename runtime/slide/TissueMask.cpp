//===- TissueMask.cpp - Where on a slide the tissue is --------------------===//

#include "runtime/slide/TissueMask.h"
#include "runtime/slide/Png.h"
#include "runtime/slide/SlideError.h"

#include <algorithm>
#include <cmath>

namespace sstep::slide {
namespace {

uint8_t saturation(const uint8_t *p) {
  int mx = std::max({p[0], p[1], p[2]}), mn = std::min({p[0], p[1], p[2]});
  return mx == 0 ? 0 : uint8_t((mx - mn) * 255 / mx);
}

/// Min (erode) or max (dilate) over a (2r+1)^2 square, separably; pixels
/// beyond the edge do not take part.
std::vector<uint8_t> squareFilter(const std::vector<uint8_t> &in, int64_t w,
                                  int64_t h, int r, bool dilate) {
  auto pick = [dilate](uint8_t a, uint8_t b) {
    return dilate ? std::max(a, b) : std::min(a, b);
  };
  std::vector<uint8_t> tmp(in.size()), out(in.size());
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      uint8_t v = in[y * w + x];
      for (int64_t k = std::max<int64_t>(0, x - r); k <= std::min(w - 1, x + r);
           ++k)
        v = pick(v, in[y * w + k]);
      tmp[y * w + x] = v;
    }
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      uint8_t v = tmp[y * w + x];
      for (int64_t k = std::max<int64_t>(0, y - r); k <= std::min(h - 1, y + r);
           ++k)
        v = pick(v, tmp[k * w + x]);
      out[y * w + x] = v;
    }
  return out;
}

/// The saturation image of `level`, averaged down by `factor` per axis.
std::vector<uint8_t> readSaturation(const SlideReader &slide, int level,
                                    int64_t factor, int64_t &outW,
                                    int64_t &outH) {
  const LevelInfo &info = slide.level(level);
  outW = (info.width + factor - 1) / factor;
  outH = (info.height + factor - 1) / factor;
  std::vector<uint8_t> sat(std::size_t(outW * outH));
  std::vector<uint32_t> sum(static_cast<std::size_t>(outW));
  std::vector<uint32_t> count(static_cast<std::size_t>(outW));
  const int64_t bandRows = std::max<int64_t>(factor, 256 / factor * factor);
  for (int64_t y0 = 0; y0 < info.height; y0 += bandRows) {
    int64_t rows = std::min(bandRows, info.height - y0);
    RGBImage band = slide.readRegion(level, 0, y0, info.width, rows);
    for (int64_t r = 0; r < rows; r += factor) {
      std::fill(sum.begin(), sum.end(), 0);
      std::fill(count.begin(), count.end(), 0);
      for (int64_t yy = r; yy < std::min(r + factor, rows); ++yy)
        for (int64_t x = 0; x < info.width; ++x) {
          sum[x / factor] += saturation(band.at(x, yy));
          ++count[x / factor];
        }
      int64_t my = (y0 + r) / factor;
      for (int64_t mx = 0; mx < outW; ++mx)
        sat[my * outW + mx] = uint8_t(sum[mx] / std::max(1u, count[mx]));
    }
  }
  return sat;
}

} // namespace

int otsuThreshold(const std::vector<uint64_t> &histogram) {
  double total = 0, weighted = 0;
  for (int i = 0; i < 256; ++i) {
    total += double(histogram[i]);
    weighted += double(i) * double(histogram[i]);
  }
  double below = 0, belowWeighted = 0, best = -1;
  int threshold = 0;
  for (int t = 0; t < 255; ++t) {
    below += double(histogram[t]);
    belowWeighted += double(t) * double(histogram[t]);
    double above = total - below;
    if (below == 0 || above == 0)
      continue;
    double m0 = belowWeighted / below;
    double m1 = (weighted - belowWeighted) / above;
    double between = below * above * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      threshold = t + 1;
    }
  }
  return threshold;
}

TissueMask TissueMask::compute(const SlideReader &slide,
                               const TissueMaskOptions &options) {
  int level = slide.levelCount() - 1;
  for (int l = 0; l < slide.levelCount(); ++l)
    if (std::max(slide.level(l).width, slide.level(l).height) <=
        options.maxSide) {
      level = l;
      break;
    }
  const LevelInfo &info = slide.level(level);
  int64_t side = std::max(info.width, info.height);
  int64_t factor = std::max<int64_t>(
      1, (side + options.maxSide - 1) / std::max<int64_t>(options.maxSide, 1));
  int64_t w = 0, h = 0;
  std::vector<uint8_t> sat = readSaturation(slide, level, factor, w, h);
  double perPixel = slide.level(0).width / double(info.width) * double(factor);
  return fromSaturation(std::move(sat), w, h, perPixel, options);
}

TissueMask TissueMask::fromSaturation(std::vector<uint8_t> sat, int64_t w,
                                      int64_t h, double level0PerPixel,
                                      const TissueMaskOptions &options) {
  TissueMask m;
  m.width_ = w;
  m.height_ = h;
  m.level0PerPixel_ = level0PerPixel;
  std::vector<uint64_t> histogram(256, 0);
  for (uint8_t s : sat)
    ++histogram[s];
  m.threshold_ = std::max(otsuThreshold(histogram), options.minThreshold);
  m.mask_.resize(sat.size());
  for (std::size_t i = 0; i < sat.size(); ++i)
    m.mask_[i] = sat[i] >= m.threshold_ ? 1 : 0;
  if (options.openRadius > 0)
    m.mask_ =
        squareFilter(squareFilter(m.mask_, w, h, options.openRadius, false), w,
                     h, options.openRadius, true);
  if (options.closeRadius > 0)
    m.mask_ =
        squareFilter(squareFilter(m.mask_, w, h, options.closeRadius, true), w,
                     h, options.closeRadius, false);
  m.sum();
  return m;
}

void TissueMask::sum() {
  const int64_t w = width_, h = height_;
  summed_.assign(std::size_t((w + 1) * (h + 1)), 0);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      summed_[(y + 1) * (w + 1) + x + 1] =
          mask_[y * w + x] + summed_[y * (w + 1) + x + 1] +
          summed_[(y + 1) * (w + 1) + x] - summed_[y * (w + 1) + x];
}

TissueMask TissueMask::fromFile(const std::string &path,
                                const SlideReader &slide) {
  TissueMask m;
  m.mask_ = readPngMask(path, m.width_, m.height_);
  const LevelInfo &level0 = slide.level(0);
  double maskRatio = double(m.width_) / double(m.height_);
  double slideRatio = double(level0.width) / double(level0.height);
  if (std::abs(maskRatio / slideRatio - 1) > 0.05)
    throw SlideError(path, "the mask is " + std::to_string(m.width_) + "x" +
                               std::to_string(m.height_) + ", not in the " +
                               std::to_string(level0.width) + "x" +
                               std::to_string(level0.height) +
                               " slide's proportions");
  m.level0PerPixel_ = double(level0.width) / double(m.width_);
  m.sum();
  return m;
}

TissueMask TissueMask::forSlide(const SlideReader &slide,
                                const std::string &maskFile) {
  return maskFile.empty() ? compute(slide) : fromFile(maskFile, slide);
}

double TissueMask::tissueFraction() const {
  if (mask_.empty())
    return 0;
  return double(summed_.back()) / double(mask_.size());
}

int64_t TissueMask::tissueIn(int64_t x0, int64_t y0, int64_t x1,
                             int64_t y1) const {
  x0 = std::clamp<int64_t>(x0, 0, width_);
  x1 = std::clamp<int64_t>(x1, 0, width_);
  y0 = std::clamp<int64_t>(y0, 0, height_);
  y1 = std::clamp<int64_t>(y1, 0, height_);
  if (x0 >= x1 || y0 >= y1)
    return 0;
  const int64_t W = width_ + 1;
  return int64_t(summed_[y1 * W + x1]) - summed_[y0 * W + x1] -
         summed_[y1 * W + x0] + summed_[y0 * W + x0];
}

double TissueMask::tissueShare(int64_t levelW, int64_t levelH, int64_t x,
                               int64_t y, int64_t w, int64_t h) const {
  // Integer arithmetic: level pixel x lies in mask pixel x * width / levelW,
  // exactly (30 * 0.1 in floating point is 3.0000000000000004).
  auto lo = [](int64_t v, int64_t mask, int64_t level) {
    return std::clamp<int64_t>(v * mask / level, 0, mask);
  };
  auto hi = [](int64_t v, int64_t mask, int64_t level) {
    return std::clamp<int64_t>((v * mask + level - 1) / level, 0, mask);
  };
  int64_t x0 = lo(std::max<int64_t>(x, 0), width_, levelW);
  int64_t y0 = lo(std::max<int64_t>(y, 0), height_, levelH);
  int64_t x1 = hi(x + w, width_, levelW), y1 = hi(y + h, height_, levelH);
  if (x0 >= x1 || y0 >= y1)
    return 0;
  return double(tissueIn(x0, y0, x1, y1)) / double((x1 - x0) * (y1 - y0));
}

std::vector<uint8_t> TissueMask::tileGrid(int64_t levelW, int64_t levelH,
                                          int64_t tileW, int64_t tileH,
                                          int64_t margin) const {
  const int64_t cols = (levelW + tileW - 1) / tileW;
  const int64_t rows = (levelH + tileH - 1) / tileH;
  // Mask pixels per level pixel, per axis.
  const double sx = double(width_) / double(levelW);
  const double sy = double(height_) / double(levelH);
  std::vector<uint8_t> grid(std::size_t(cols * rows), 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      double x0 = double(c * tileW - margin),
             x1 = double((c + 1) * tileW + margin);
      double y0 = double(r * tileH - margin),
             y1 = double((r + 1) * tileH + margin);
      grid[r * cols + c] =
          anyTissue(int64_t(std::floor(x0 * sx)), int64_t(std::floor(y0 * sy)),
                    int64_t(std::ceil(x1 * sx)), int64_t(std::ceil(y1 * sy)));
    }
  return grid;
}

} // namespace sstep::slide
