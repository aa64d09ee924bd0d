//===- TissueMaskTest.cpp - Tissue found, glass skipped -------------------===//

#include <catch2/catch.hpp>

#include "runtime/slide/SyntheticSlide.h"
#include "runtime/slide/TissueMask.h"
#include "test/unit/SlideTestUtil.h"

#include <algorithm>

using namespace sstep::slide;
using namespace sstep::slide::test;

TEST_CASE("Otsu splits a bimodal histogram between its modes",
          "[slide][mask]") {
  std::vector<uint64_t> h(256, 0);
  for (int v = 0; v < 20; ++v)
    h[v] = 1000;
  for (int v = 120; v < 160; ++v)
    h[v] = 300;
  int t = otsuThreshold(h);
  CHECK(t > 19);
  CHECK(t <= 120);
}

TEST_CASE("mask of a synthetic slide", "[slide][mask]") {
  const int64_t W = 3000, H = 2200, T = 256;
  std::string path = scratch("mask.tif");
  TiffWriterOptions o;
  o.width = W;
  o.height = H;
  o.compression = TiffCompression::JPEG;
  writeSyntheticSlide(path, o, 11);
  ReaderOptions ro;
  ro.allowOpenSlide = false;
  auto slide = SlideReader::open(path, ro);
  TissueMaskOptions mo;
  mo.maxSide = 512;
  TissueMask mask = TissueMask::compute(*slide, mo);
  CHECK(std::max(mask.width(), mask.height()) <= 512);
  CHECK(mask.tissueFraction() > 0.05);
  CHECK(mask.tissueFraction() < 0.9);

  // Independent oracle: a tile holds tissue when some level-0 pixel is
  // clearly stained, and is glass when none differs from the background.
  const int64_t cols = (W + T - 1) / T, rows = (H + T - 1) / T;
  std::vector<int> truth(
      std::size_t(cols * rows)); // 2 tissue, 0 glass, 1 faint
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      RGBImage img = slide->readRegion(0, c * T, r * T, T, T);
      int state = 0;
      for (std::size_t i = 0; i < img.pixels.size(); i += 3) {
        int mx =
            std::max({img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]});
        int mn =
            std::min({img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]});
        int s = mx == 0 ? 0 : (mx - mn) * 255 / mx;
        state = std::max(state, s > 60 ? 2 : s > 8 ? 1 : 0);
      }
      truth[std::size_t(r * cols + c)] = state;
    }
  // A margin of two mask pixels keeps tissue at the mask's resolution limit.
  int64_t margin = int64_t(2 * mask.level0PerPixel());
  std::vector<uint8_t> grid = mask.tileGrid(W, H, T, T, margin);
  REQUIRE(grid.size() == truth.size());
  int tissue = 0, glass = 0, glassSkipped = 0;
  for (std::size_t i = 0; i < grid.size(); ++i) {
    if (truth[i] == 2) {
      ++tissue;
      INFO("tile " << i % cols << ", " << i / cols);
      CHECK(grid[i] == 1);
    } else if (truth[i] == 0) {
      ++glass;
      glassSkipped += grid[i] == 0;
    }
  }
  CHECK(tissue > 10);
  CHECK(glass > 10);
  // Glass tiles are skipped except near tissue (within the margin).
  CHECK(glassSkipped >= glass * 8 / 10);
}

TEST_CASE("tile grids count tiles touching tissue, widened by the margin",
          "[slide][mask]") {
  // One tissue mask pixel at (50, 50); a mask pixel is 10 level pixels, so it
  // covers [500, 510)^2 of a 1000^2 level cut into 100^2 tiles.
  std::vector<uint8_t> sat(100 * 100, 0);
  sat[50 * 100 + 50] = 200;
  TissueMaskOptions o;
  o.openRadius = o.closeRadius = 0;
  TissueMask mask = TissueMask::fromSaturation(sat, 100, 100, 10.0, o);
  REQUIRE(mask.at(50, 50));
  CHECK(mask.tissueFraction() == Approx(1e-4));
  auto flagged = [&](int64_t margin) {
    std::vector<std::pair<int, int>> tiles;
    std::vector<uint8_t> grid = mask.tileGrid(1000, 1000, 100, 100, margin);
    for (int i = 0; i < 100; ++i)
      if (grid[i])
        tiles.push_back({i % 10, i / 10});
    return tiles;
  };
  using Tiles = std::vector<std::pair<int, int>>;
  CHECK(flagged(0) == Tiles{{5, 5}});
  // Tile (4, 5) ends at x = 500; widened by 1 it reaches the tissue pixel.
  CHECK(flagged(1) == Tiles{{4, 4}, {5, 4}, {4, 5}, {5, 5}});
  CHECK(flagged(100).size() == 9);
  // Open with radius 1 removes a lone pixel: a speck, not tissue.
  o.openRadius = 1;
  CHECK(TissueMask::fromSaturation(sat, 100, 100, 10.0, o).tissueFraction() ==
        0);
}

TEST_CASE("a rectangle's tissue share counts the mask pixels it overlaps",
          "[slide][mask]") {
  // Tissue in mask columns [0, 50) of a 100^2 mask over a 1000^2 level.
  std::vector<uint8_t> sat(100 * 100, 0);
  for (int y = 0; y < 100; ++y)
    for (int x = 0; x < 50; ++x)
      sat[size_t(y * 100 + x)] = 200;
  TissueMaskOptions o;
  o.openRadius = o.closeRadius = 0;
  TissueMask mask = TissueMask::fromSaturation(sat, 100, 100, 10.0, o);
  CHECK(mask.tissueShare(1000, 1000, 0, 0, 256, 256) == 1.0);
  CHECK(mask.tissueShare(1000, 1000, 600, 0, 256, 256) == 0.0);
  // Level columns [400, 600): mask columns 40..59, half of them tissue.
  CHECK(mask.tissueShare(1000, 1000, 400, 100, 200, 200) == 0.5);
  // A patch not on mask pixel borders counts every pixel it touches:
  // columns 495..505 touch mask columns 49 and 50.
  CHECK(mask.tissueShare(1000, 1000, 495, 0, 10, 10) == 0.5);
  // On a level twice as coarse, the same share.
  CHECK(mask.tissueShare(500, 500, 200, 50, 100, 100) == 0.5);

  // Mask pixel edges are computed exactly: in floating point, 30 level
  // pixels at 0.1 mask pixels each end at 3.0000000000000004, which would
  // round up into glass column 3. Tissue in mask columns 0..2 only:
  std::vector<uint8_t> narrow(100 * 100, 0);
  for (int y = 0; y < 100; ++y)
    for (int x = 0; x < 3; ++x)
      narrow[size_t(y * 100 + x)] = 200;
  TissueMask edge = TissueMask::fromSaturation(narrow, 100, 100, 10.0, o);
  CHECK(edge.tissueShare(1000, 1000, 0, 0, 30, 30) == 1.0);
}
