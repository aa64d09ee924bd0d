//===- SlideReaderTest.cpp - Region reads against plain-loop references ---===//
//
// Lossless slides written here are read back through SlideReader: every
// level, regions crossing tile and image edges, several threads sharing a
// small cache. The references are cropped and halved by plain loops.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/slide/SlideReader.h"
#include "test/unit/SlideTestUtil.h"

#include <random>
#include <thread>

using namespace sstep::slide;
using namespace sstep::slide::test;

namespace {

struct Case {
  const char *name;
  TiffCompression compression;
  uint32_t tile;
  int64_t width, height;
};

ReaderOptions tiffOnly(unsigned threads = 2, std::size_t cache = 64 << 20) {
  ReaderOptions o;
  o.threads = threads;
  o.cacheBytes = cache;
  o.allowOpenSlide = false;
  return o;
}

} // namespace

TEST_CASE("lossless pyramids read back exactly at every level", "[slide]") {
  const Case cases[] = {
      {"none-256", TiffCompression::None, 256, 700, 513},
      {"deflate-240", TiffCompression::Deflate, 240, 1001, 777},
      {"lzw-512", TiffCompression::LZW, 512, 1300, 531},
      {"zstd-256-odd", TiffCompression::Zstd, 256, 257, 1025},
  };
  for (const Case &c : cases) {
    SECTION(c.name) {
      std::string path = scratch(std::string("exact-") + c.name + ".tif");
      TiffWriterOptions o;
      o.width = c.width;
      o.height = c.height;
      o.tileSize = c.tile;
      o.compression = c.compression;
      std::vector<uint8_t> px = pattern(c.width, c.height, 3);
      writeByTiles(path, o, px);

      auto slide = SlideReader::open(path, tiffOnly());
      CHECK(slide->properties().vendor == "generic-tiff");
      int64_t w = c.width, h = c.height;
      for (int level = 0; level < slide->levelCount(); ++level) {
        INFO("level " << level);
        REQUIRE(slide->level(level).width == w);
        REQUIRE(slide->level(level).height == h);
        CHECK(slide->level(level).tileWidth == c.tile);
        RGBImage image = slide->readRegion(level, 0, 0, w, h);
        REQUIRE(image.pixels == px);
        int64_t nw, nh;
        px = halve(px, w, h, 3, nw, nh);
        w = nw;
        h = nh;
      }
      CHECK(std::max(slide->levels().back().width,
                     slide->levels().back().height) <= c.tile);
    }
  }
}

TEST_CASE("regions crossing tile and image edges", "[slide]") {
  const int64_t W = 1000, H = 700;
  std::string path = scratch("edges.tif");
  TiffWriterOptions o;
  o.width = W;
  o.height = H;
  o.tileSize = 240;
  std::vector<uint8_t> px = pattern(W, H, 3);
  writeByTiles(path, o, px);
  ReaderOptions ro = tiffOnly();
  ro.fill = {10, 20, 30};
  auto slide = SlideReader::open(path, ro);

  std::mt19937 rng(7);
  std::uniform_int_distribution<int64_t> pos(-300, 1100), size(1, 500);
  for (int i = 0; i < 200; ++i) {
    int64_t x = pos(rng), y = pos(rng) * H / W, w = size(rng), h = size(rng);
    if (x >= W || y >= H || x + w <= 0 || y + h <= 0)
      continue; // wholly outside: an error, tested elsewhere
    INFO("region " << x << "," << y << "," << w << "," << h);
    RGBImage r = slide->readRegion(0, x, y, w, h);
    REQUIRE(r.pixels == crop(px, W, H, x, y, w, h, ro.fill));
  }
  // One pixel at each tile corner and at the image's last pixel.
  for (int64_t y : {0L, 239L, 240L, 479L, 480L, 699L})
    for (int64_t x : {0L, 239L, 240L, 959L, 960L, 999L})
      REQUIRE(slide->readRegion(0, x, y, 1, 1).pixels ==
              crop(px, W, H, x, y, 1, 1, ro.fill));
}

TEST_CASE("rows and tiles make the same slide", "[slide]") {
  const int64_t W = 777, H = 555;
  std::vector<uint8_t> px = pattern(W, H, 3);
  TiffWriterOptions o;
  o.width = W;
  o.height = H;
  o.tileSize = 256;
  std::string byTiles = scratch("rows-vs-tiles-a.tif");
  writeByTiles(byTiles, o, px);
  std::string byRows = scratch("rows-vs-tiles-b.tif");
  {
    PyramidTiffWriter writer(byRows, o);
    for (int64_t y = 0; y < H; y += 37) {
      int64_t n = std::min<int64_t>(37, H - y);
      writer.writeRows(y, n, &px[std::size_t(y * W * 3)]);
    }
    writer.finish();
  }
  auto a = SlideReader::open(byTiles, tiffOnly());
  auto b = SlideReader::open(byRows, tiffOnly());
  REQUIRE(a->levelCount() == b->levelCount());
  for (int l = 0; l < a->levelCount(); ++l) {
    const LevelInfo &i = a->level(l);
    REQUIRE(a->readRegion(l, 0, 0, i.width, i.height).pixels ==
            b->readRegion(l, 0, 0, i.width, i.height).pixels);
  }
}

TEST_CASE("concurrent readers share a small cache", "[slide]") {
  const int64_t W = 1200, H = 900;
  std::string path = scratch("concurrent.tif");
  TiffWriterOptions o;
  o.width = W;
  o.height = H;
  o.tileSize = 128;
  o.compression = TiffCompression::Deflate;
  std::vector<uint8_t> px = pattern(W, H, 3);
  writeByTiles(path, o, px);
  // Room for six 128x128 RGB tiles: constant eviction under four threads.
  const std::size_t cache = 6 * 128 * 128 * 3;
  auto slide = SlideReader::open(path, tiffOnly(3, cache));

  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(100 + t);
      std::uniform_int_distribution<int64_t> x(0, W - 1), y(0, H - 1),
          s(1, 300);
      for (int i = 0; i < 150; ++i) {
        int64_t rx = x(rng), ry = y(rng), rw = s(rng), rh = s(rng);
        RGBImage r = slide->readRegion(0, rx, ry, rw, rh);
        if (r.pixels != crop(px, W, H, rx, ry, rw, rh, {255, 255, 255}))
          ++failures[t];
      }
    });
  for (std::thread &t : threads)
    t.join();
  for (int f : failures)
    CHECK(f == 0);
  CacheStats stats = slide->cacheStats();
  CHECK(stats.bytes <= cache);
  CHECK(stats.capacity == cache);
  CHECK(stats.evictions > 0);
  CHECK(stats.hits > 0);
}

TEST_CASE("greyscale and float32 pyramids", "[slide]") {
  SECTION("uint8 grey reads as RGB") {
    const int64_t W = 500, H = 300;
    std::vector<uint8_t> grey = pattern(W, H, 1);
    TiffWriterOptions o;
    o.width = W;
    o.height = H;
    o.channels = 1;
    o.tileSize = 128;
    std::string path = scratch("grey.tif");
    writeByTiles(path, o, grey);
    auto slide = SlideReader::open(path, tiffOnly());
    RGBImage r = slide->readRegion(0, 0, 0, W, H);
    for (std::size_t i = 0; i < grey.size(); ++i)
      for (int c = 0; c < 3; ++c)
        REQUIRE(r.pixels[3 * i + c] == grey[i]);
  }
}

TEST_CASE("the Aperio slide, when present", "[slide][svs]") {
  std::string path =
      std::string(SSTEP_TEST_SLIDE_DIR) + "/CMU-1-Small-Region.svs";
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    WARN("skipped: " << path << " is absent");
    return;
  }
  auto slide = SlideReader::open(path, tiffOnly());
  const SlideProperties &p = slide->properties();
  CHECK(p.vendor == "aperio");
  CHECK(p.backend == "libtiff");
  CHECK(p.mppX == Approx(0.499));
  CHECK(p.magnification == Approx(20));
  REQUIRE(slide->levelCount() == 1);
  CHECK(slide->level(0).width == 2220);
  CHECK(slide->level(0).height == 2967);
  CHECK(slide->level(0).tileWidth == 240);
  std::vector<std::string> names;
  for (const AssociatedImage &a : slide->associatedImages())
    names.push_back(a.name);
  CHECK(names == std::vector<std::string>{"thumbnail", "label", "macro"});
  RGBImage label = slide->readAssociated("label");
  CHECK(label.width == 387);
  CHECK(label.height == 463);
  // Regions straddling the 240-pixel tile grid equal the whole-level read.
  RGBImage whole = slide->readRegion(0, 0, 0, 2220, 2967);
  RGBImage part = slide->readRegion(0, 230, 470, 300, 260);
  for (int64_t y = 0; y < 260; ++y)
    REQUIRE(
        std::equal(part.at(0, y), part.at(0, y) + 900, whole.at(230, 470 + y)));
}

TEST_CASE("OME-TIFF: vendor and microns per pixel from the OME-XML",
          "[slide][ome]") {
  TiffWriterOptions o;
  o.width = 300;
  o.height = 200;
  o.description =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><OME "
      "xmlns=\"http://www.openmicroscopy.org/Schemas/OME/2016-06\"><Image "
      "ID=\"Image:0\"><Pixels ID=\"Pixels:0\" DimensionOrder=\"XYCZT\" "
      "Type=\"uint8\" SizeX=\"300\" SizeY=\"200\" SizeC=\"3\" SizeZ=\"1\" "
      "SizeT=\"1\" PhysicalSizeX=\"250\" PhysicalSizeXUnit=\"nm\" "
      "PhysicalSizeY=\"0.26\"></Pixels></Image></OME>";
  std::string path = scratch("ome.tif");
  std::vector<uint8_t> px = pattern(300, 200, 3);
  writeByTiles(path, o, px);
  auto slide = SlideReader::open(path, tiffOnly());
  CHECK(slide->properties().vendor == "ome-tiff");
  CHECK(slide->properties().mppX == Approx(0.25));
  CHECK(slide->properties().mppY == Approx(0.26));
  CHECK(slide->readRegion(0, 0, 0, 300, 200).pixels == px);
}
