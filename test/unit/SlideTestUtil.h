//===- SlideTestUtil.h - Helpers shared by the slide tests ------*- C++ -*-===//
//
// Slides are written into the build tree (never committed); reference pixels
// come from plain loops here, independent of the reader's tile logic.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TEST_UNIT_SLIDETESTUTIL_H
#define SSTEP_TEST_UNIT_SLIDETESTUTIL_H

#include "runtime/slide/SlideReader.h"
#include "runtime/slide/TiffWriter.h"

#include <array>
#include <cstdint>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace sstep::slide::test {

/// A fresh path under the build tree's scratch folder.
inline std::string scratch(const std::string &name) {
  std::string dir = SSTEP_TEST_WORK_DIR;
  ::mkdir(dir.c_str(), 0755);
  return dir + "/" + name;
}

/// A deterministic image with structure at every scale: a smooth gradient
/// plus hashed detail, so misplaced tiles or rows cannot go unnoticed.
inline std::vector<uint8_t> pattern(int64_t w, int64_t h, int channels) {
  std::vector<uint8_t> px(std::size_t(w * h * channels));
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c) {
        uint32_t hash = uint32_t(x * 73856093u ^ y * 19349663u ^ c * 83492791u);
        px[std::size_t((y * w + x) * channels + c)] =
            uint8_t((x * (c + 1) + y * 3 + ((hash >> 7) & 15)) & 255);
      }
  return px;
}

/// Writes `px` (w x h x channels uint8) as a pyramid, level 0 as tiles in
/// a scrambled order.
inline void writeByTiles(const std::string &path, const TiffWriterOptions &o,
                         const std::vector<uint8_t> &px) {
  PyramidTiffWriter writer(path, o);
  const int64_t T = o.tileSize, cols = writer.tilesAcross();
  const int64_t n = cols * writer.tilesDown();
  const std::size_t pb = writer.pixelBytes();
  std::vector<uint8_t> tile(writer.tileBytes());
  for (int64_t k = 0; k < n; ++k) {
    int64_t i = (k * 7919) % n; // 7919 is prime: visits every tile once
    if (n % 7919 == 0)
      i = k;
    int64_t col = i % cols, row = i / cols;
    std::fill(tile.begin(), tile.end(), 0);
    for (int64_t y = row * T; y < std::min((row + 1) * T, o.height); ++y)
      for (int64_t x = col * T; x < std::min((col + 1) * T, o.width); ++x)
        std::copy_n(&px[std::size_t(y * o.width + x) * pb], pb,
                    &tile[std::size_t((y - row * T) * T + (x - col * T)) * pb]);
    writer.writeTile(col, row, tile.data());
  }
  writer.finish();
}

/// The 2x area average of a uint8 image (odd edges average what exists).
inline std::vector<uint8_t> halve(const std::vector<uint8_t> &px, int64_t w,
                                  int64_t h, int channels, int64_t &ow,
                                  int64_t &oh) {
  ow = (w + 1) / 2;
  oh = (h + 1) / 2;
  std::vector<uint8_t> out(std::size_t(ow * oh * channels));
  for (int64_t y = 0; y < oh; ++y)
    for (int64_t x = 0; x < ow; ++x)
      for (int c = 0; c < channels; ++c) {
        int sum = 0, n = 0;
        for (int64_t yy = 2 * y; yy < std::min(2 * y + 2, h); ++yy)
          for (int64_t xx = 2 * x; xx < std::min(2 * x + 2, w); ++xx, ++n)
            sum += px[std::size_t((yy * w + xx) * channels + c)];
        out[std::size_t((y * ow + x) * channels + c)] =
            uint8_t((sum + n / 2) / n);
      }
  return out;
}

/// The RGB region of `px` (3 channels) at (x, y), fill outside.
inline std::vector<uint8_t> crop(const std::vector<uint8_t> &px, int64_t w,
                                 int64_t h, int64_t x, int64_t y, int64_t rw,
                                 int64_t rh, std::array<uint8_t, 3> fill) {
  std::vector<uint8_t> out(std::size_t(rw * rh * 3));
  for (int64_t j = 0; j < rh; ++j)
    for (int64_t i = 0; i < rw; ++i)
      for (int c = 0; c < 3; ++c) {
        int64_t sx = x + i, sy = y + j;
        bool in = sx >= 0 && sy >= 0 && sx < w && sy < h;
        out[std::size_t((j * rw + i) * 3 + c)] =
            in ? px[std::size_t((sy * w + sx) * 3 + c)] : fill[c];
      }
  return out;
}

} // namespace sstep::slide::test

#endif // SSTEP_TEST_UNIT_SLIDETESTUTIL_H
