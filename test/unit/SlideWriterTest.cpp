//===- SlideWriterTest.cpp - Float32 TIFF and .npy round trips ------------===//

#include <catch2/catch.hpp>

#include "runtime/slide/TiffHandle.h"
#include "runtime/slide/TiffWriter.h"
#include "test/unit/SlideTestUtil.h"

#include <cmath>
#include <fstream>

using namespace sstep::slide;
using namespace sstep::slide::test;

namespace {

/// Level `dir` of a float32 TIFF, read with plain libtiff calls.
std::vector<float> readFloatLevel(const std::string &path, tdir_t dir,
                                  int channels, uint32_t &w, uint32_t &h) {
  TiffHandle t(path, "r");
  t.setDirectory(dir, ErrorSite{path});
  uint32_t tw = 0, th = 0;
  uint16_t spp = 0, bits = 0, format = 0;
  TIFFGetField(t.get(), TIFFTAG_IMAGEWIDTH, &w);
  TIFFGetField(t.get(), TIFFTAG_IMAGELENGTH, &h);
  TIFFGetField(t.get(), TIFFTAG_TILEWIDTH, &tw);
  TIFFGetField(t.get(), TIFFTAG_TILELENGTH, &th);
  TIFFGetField(t.get(), TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetField(t.get(), TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetField(t.get(), TIFFTAG_SAMPLEFORMAT, &format);
  REQUIRE(spp == channels);
  REQUIRE(bits == 32);
  REQUIRE(format == SAMPLEFORMAT_IEEEFP);
  std::vector<float> out(std::size_t(w) * h * channels);
  std::vector<float> tile(std::size_t(tw) * th * channels);
  for (uint32_t y = 0; y < h; y += th)
    for (uint32_t x = 0; x < w; x += tw) {
      REQUIRE(TIFFReadTile(t.get(), tile.data(), x, y, 0, 0) > 0);
      for (uint32_t r = y; r < std::min(h, y + th); ++r)
        std::copy_n(&tile[(std::size_t(r - y) * tw) * channels],
                    std::size_t(std::min(w - x, tw)) * channels,
                    &out[(std::size_t(r) * w + x) * channels]);
    }
  return out;
}

} // namespace

TEST_CASE("float32 pyramids round trip", "[slide][writer]") {
  for (auto compression : {TiffCompression::Deflate, TiffCompression::Zstd}) {
    for (int channels : {1, 5}) {
      const int64_t W = 333, H = 200;
      std::vector<float> values(std::size_t(W * H * channels));
      for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = std::sin(float(i) * 0.01f) * 1e3f + float(i % 7) * 1e-4f;
      TiffWriterOptions o;
      o.width = W;
      o.height = H;
      o.channels = channels;
      o.sampleType = SampleType::Float32;
      o.tileSize = 64;
      o.compression = compression;
      std::string path = scratch("float-" + std::to_string(channels) + "-" +
                                 std::to_string(int(compression)) + ".tif");
      {
        PyramidTiffWriter writer(path, o);
        writer.writeRows(0, H, values.data());
        writer.finish();
      }
      uint32_t w = 0, h = 0;
      REQUIRE(readFloatLevel(path, 0, channels, w, h) == values);
      // Level 1: the 2x mean, 167 x 100 (the odd last column averages 2).
      std::vector<float> half = readFloatLevel(path, 1, channels, w, h);
      REQUIRE(w == 167);
      REQUIRE(h == 100);
      for (uint32_t y = 0; y < h; ++y)
        for (uint32_t x = 0; x < w; ++x)
          for (int c = 0; c < channels; ++c) {
            double sum = 0;
            int n = 0;
            for (int64_t yy = 2 * y; yy < std::min<int64_t>(2 * y + 2, H); ++yy)
              for (int64_t xx = 2 * x; xx < std::min<int64_t>(2 * x + 2, W);
                   ++xx, ++n)
                sum += values[std::size_t((yy * W + xx) * channels + c)];
            REQUIRE(half[(std::size_t(y) * w + x) * channels + c] ==
                    Approx(sum / n).epsilon(1e-6));
          }
    }
  }
}

TEST_CASE("writer options are checked and partial files removed",
          "[slide][writer]") {
  TiffWriterOptions o;
  o.width = 100;
  o.height = 100;
  o.sampleType = SampleType::Float32;
  o.compression = TiffCompression::JPEG;
  CHECK_THROWS_AS(PyramidTiffWriter(scratch("bad.tif"), o), SlideError);
  o.sampleType = SampleType::UInt8;
  o.tileSize = 100;
  CHECK_THROWS_WITH(PyramidTiffWriter(scratch("bad.tif"), o),
                    Catch::Contains("multiple of 16"));
  o.tileSize = 64;
  std::string path = scratch("unfinished.tif");
  std::remove(path.c_str());
  {
    PyramidTiffWriter writer(path, o);
    std::vector<uint8_t> tile(writer.tileBytes(), 0);
    writer.writeTile(0, 0, tile.data());
    CHECK_THROWS_WITH(writer.finish(), Catch::Contains("tile (1, 0)") &&
                                           Catch::Contains("never written"));
    CHECK(std::ifstream(path + ".part").good());
  }
  CHECK_FALSE(std::ifstream(path + ".part").good());
  CHECK_FALSE(std::ifstream(path).good());
}

TEST_CASE("BigTIFF on request", "[slide][writer]") {
  TiffWriterOptions o;
  o.width = 300;
  o.height = 200;
  o.bigTiff = TiffWriterOptions::BigTiff::Yes;
  std::string path = scratch("big.tif");
  writeByTiles(path, o, pattern(300, 200, 3));
  std::ifstream in(path, std::ios::binary);
  char header[4] = {};
  in.read(header, 4);
  CHECK(header[2] == 43); // BigTIFF's version number; classic TIFF has 42
  // Auto: classic TIFF unless the raw estimate passes 2 GiB.
  o.bigTiff = TiffWriterOptions::BigTiff::Auto;
  CHECK_FALSE(PyramidTiffWriter(scratch("auto-small.tif"), o).bigTiff());
  o.width = o.height = 30000; // 2.7 GB of RGB, 3.6 GB with its pyramid
  CHECK(PyramidTiffWriter(scratch("auto-large.tif"), o).bigTiff());
}
