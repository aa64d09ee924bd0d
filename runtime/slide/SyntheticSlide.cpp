//===- SyntheticSlide.cpp - Deterministic tissue-like test slides ---------===//

#include "runtime/slide/SyntheticSlide.h"

#include <algorithm>
#include <cmath>

namespace sstep::slide {
namespace {

uint64_t mix(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// A uniform double in [0, 1) from the hash of (seed, a, b, c).
double unit(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  uint64_t h = mix(seed ^ mix(a ^ mix(b ^ mix(c))));
  return double(h >> 11) * (1.0 / 9007199254740992.0);
}

double smoothstep(double e0, double e1, double v) {
  double t = std::clamp((v - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

constexpr double kPi = 3.14159265358979323846;
constexpr int kSmallCell = 24, kLargeCell = 96;

} // namespace

SyntheticTissue::SyntheticTissue(int64_t width, int64_t height, uint64_t seed)
    : width_(width), seed_(seed) {
  double scale = double(std::min(width, height));
  int count = 5 + int(unit(seed, 1) * 4);
  for (int i = 0; i < count; ++i) {
    double angle = unit(seed, 2, i) * kPi;
    blobs_.push_back({(0.15 + 0.7 * unit(seed, 3, i)) * width,
                      (0.15 + 0.7 * unit(seed, 4, i)) * height,
                      (0.07 + 0.13 * unit(seed, 5, i)) * scale,
                      (0.07 + 0.13 * unit(seed, 6, i)) * scale, std::cos(angle),
                      std::sin(angle)});
  }
  // Nuclei crowd in a few hot spots (tumour-like), thin out elsewhere
  // (stroma-like), so a nuclear-density model has something to find.
  int spots = 3 + int(unit(seed, 7) * 3);
  for (int i = 0; i < spots; ++i) {
    const Blob &in = blobs_[size_t(unit(seed, 8, i) * double(count))];
    double r = (0.04 + 0.05 * unit(seed, 9, i)) * scale;
    hotspots_.push_back({in.cx + (unit(seed, 11, i) - 0.5) * in.rx,
                         in.cy + (unit(seed, 12, i) - 0.5) * in.ry, r, r, 1,
                         0});
  }
  waveX_ = 2 * kPi / (0.11 * scale + 1);
  waveY_ = 2 * kPi / (0.13 * scale + 1);
}

double SyntheticTissue::density(double x, double y) const {
  double best = -1;
  for (const Blob &b : blobs_) {
    double dx = x - b.cx, dy = y - b.cy;
    double u = (dx * b.cosA + dy * b.sinA) / b.rx;
    double v = (-dx * b.sinA + dy * b.cosA) / b.ry;
    best = std::max(best, 1 - (u * u + v * v));
  }
  // A low-frequency wobble makes the outlines irregular, like tissue.
  return best + 0.18 * std::sin(x * waveX_) * std::sin(y * waveY_ + 1.3);
}

double SyntheticTissue::cellularity(double x, double y) const {
  double hot = 0;
  for (const Blob &b : hotspots_) {
    double dx = (x - b.cx) / b.rx, dy = (y - b.cy) / b.ry;
    hot = std::max(hot, std::exp(-(dx * dx + dy * dy)));
  }
  return 0.15 + 2.2 * hot;
}

void SyntheticTissue::nucleus(int64_t cx, int64_t cy, int cell, double &x,
                              double &y, double &r) const {
  uint64_t salt = uint64_t(cell);
  r = 0;
  double chance = (cell == kSmallCell ? 0.55 : 0.2) *
                  cellularity((cx + 0.5) * cell, (cy + 0.5) * cell);
  if (unit(seed_, 10 + salt, cx, cy) > chance)
    return;
  double maxR = cell == kSmallCell ? 8 : 30;
  double minR = cell == kSmallCell ? 3 : 14;
  r = minR + (maxR - minR) * unit(seed_, 20 + salt, cx, cy);
  double room = cell / 2.0 - r - 1;
  x = cx * cell + cell / 2.0 + room * (2 * unit(seed_, 30 + salt, cx, cy) - 1);
  y = cy * cell + cell / 2.0 + room * (2 * unit(seed_, 40 + salt, cx, cy) - 1);
}

void SyntheticTissue::shadePixel(int64_t x, int64_t y, double d,
                                 const Nucleus *const nuclei[2],
                                 uint8_t *rgb) const {
  // Eosin pink, gently varying; tissue edges blend into the background.
  double t = 0.5 + 0.5 * std::sin(x * 0.021) * std::sin(y * 0.017 + 0.5);
  double colour[3] = {232 - 18 * t, 150 + 25 * t, 192 + 10 * t};
  const int cells[2] = {kLargeCell, kSmallCell};
  for (int k = 0; k < 2; ++k) {
    const Nucleus &n = nuclei[k][x / cells[k]];
    if (n.r == 0)
      continue;
    double dist = std::hypot(x + 0.5 - n.x, y + 0.5 - n.y);
    if (dist > n.r + 1)
      continue;
    double inside = 1 - smoothstep(n.r - 1.5, n.r + 0.5, dist);
    // Haematoxylin-dark, lighter towards the rim (optical density of the
    // haematoxylin stain about 1.15 at the centre, 0.75 at the rim).
    double rim = std::min(dist / n.r, 1.0);
    double purple[3] = {40 + 35 * rim, 22 + 25 * rim, 98 + 30 * rim};
    for (int c = 0; c < 3; ++c)
      colour[c] += inside * (purple[c] - colour[c]);
  }
  double alpha = smoothstep(0.0, 0.06, d);
  for (int c = 0; c < 3; ++c)
    rgb[c] = uint8_t(
        std::lround(kBackground[c] + alpha * (colour[c] - kBackground[c])));
}

std::vector<SyntheticTissue::Nucleus>
SyntheticTissue::nucleiOfRow(int64_t y, int cell) const {
  std::vector<Nucleus> row(std::size_t(width_ / cell + 1));
  for (std::size_t cx = 0; cx < row.size(); ++cx) {
    Nucleus &n = row[cx];
    nucleus(int64_t(cx), y / cell, cell, n.x, n.y, n.r);
    if (n.r > 0 && density(n.x, n.y) < 0.05)
      n.r = 0; // nuclei only inside tissue
  }
  return row;
}

void SyntheticTissue::renderRows(int64_t y0, int64_t rows, uint8_t *rgb) const {
  for (int64_t y = y0; y < y0 + rows; ++y) {
    std::vector<Nucleus> large = nucleiOfRow(y, kLargeCell);
    std::vector<Nucleus> small = nucleiOfRow(y, kSmallCell);
    const Nucleus *const nuclei[2] = {large.data(), small.data()};
    for (int64_t x = 0; x < width_; ++x, rgb += 3) {
      double d = density(x + 0.5, y + 0.5);
      if (d <= 0)
        std::copy(kBackground, kBackground + 3, rgb);
      else
        shadePixel(x, y, d, nuclei, rgb);
    }
  }
}

void writeSyntheticSlide(const std::string &path,
                         const TiffWriterOptions &options, uint64_t seed) {
  SyntheticTissue tissue(options.width, options.height, seed);
  PyramidTiffWriter writer(path, options);
  const int64_t band = 64;
  std::vector<uint8_t> rows(std::size_t(options.width) * band * 3);
  for (int64_t y = 0; y < options.height; y += band) {
    int64_t n = std::min(band, options.height - y);
    tissue.renderRows(y, n, rows.data());
    writer.writeRows(y, n, rows.data());
  }
  writer.finish();
}

} // namespace sstep::slide
