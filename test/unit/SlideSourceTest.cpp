//===- SlideSourceTest.cpp - Slide input with read-ahead, and progress ----===//

#include <catch2/catch.hpp>

#include "SlideTestUtil.h"
#include "runtime/pipeline/PatchRun.h"
#include "runtime/pipeline/Progress.h"
#include "runtime/pipeline/SlideSource.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include <unistd.h>

using namespace sstep;
using namespace sstep::pipeline;
using namespace sstep::slide::test;

namespace {

Region rect(int64_t y, int64_t x, int64_t h, int64_t w) {
  return {{Interval{y, y + h - 1}, Interval{x, x + w - 1}}};
}

/// A lossless 3-level slide of `pattern` pixels, made once per process.
/// ctest runs these cases as processes side by side: each writes its own
/// file and renames it into place, so none reads another's half-written one.
const std::string &patternSlide() {
  static const std::string path = [] {
    std::string p = scratch("source.tif");
    std::string own = p + "." + std::to_string(::getpid());
    slide::TiffWriterOptions o;
    o.width = 333;
    o.height = 250;
    o.tileSize = 64;
    writeByTiles(own, o, pattern(o.width, o.height, 3));
    std::filesystem::rename(own, p);
    return p;
  }();
  return path;
}

/// The source's block, computed here from the pattern by plain loops.
Tensor expected(const Region &r, const Normalization &n) {
  std::vector<uint8_t> px = pattern(333, 250, 3);
  Tensor t({1, 3, r.axes[0].size(), r.axes[1].size()});
  for (int c = 0; c < 3; ++c)
    for (int64_t y = 0; y < t.dim(2); ++y)
      for (int64_t x = 0; x < t.dim(3); ++x) {
        uint8_t v =
            px[size_t(((r.axes[0].lo + y) * 333 + r.axes[1].lo + x) * 3 + c)];
        t.data[size_t((c * t.dim(2) + y) * t.dim(3) + x)] =
            (float(v) / 255.0f - n.mean[c]) / n.std[c];
      }
  return t;
}

} // namespace

TEST_CASE("normalizations parse, print and apply", "[pipeline]") {
  Normalization none = Normalization::parse("none");
  CHECK(none.apply(0, 255) == 1.0f);
  CHECK(none.apply(2, 0) == 0.0f);
  Normalization net = Normalization::parse("imagenet");
  CHECK(net.mean[1] == 0.456f);
  CHECK(net.std[2] == 0.225f);
  CHECK(net.apply(0, 124) == (124.0f / 255.0f - 0.485f) / 0.229f);
  Normalization custom = Normalization::parse("0.5,0.25,0/2,1,0.5");
  CHECK(custom.apply(2, 255) == 2.0f);
  CHECK(custom.str() == "0.5,0.25,0/2,1,0.5");
  Normalization again = Normalization::parse(net.str());
  CHECK(again.mean == net.mean);
  CHECK(again.std == net.std);
  for (const char *bad : {"", "imagenet2", "1,2/3,4,5", "1,2,3",
                          "1,2,3/4,5,6,7", "a,b,c/1,1,1", "1,2,3/4,5,6/7"})
    CHECK_THROWS_WITH(Normalization::parse(bad),
                      Catch::Contains("expected none, imagenet or"));
  CHECK_THROWS_WITH(Normalization::parse("0,0,0/1,0,1"),
                    Catch::Contains("must be positive"));
}

TEST_CASE("the slide source reads ahead what it was told to expect",
          "[pipeline]") {
  auto reader = slide::SlideReader::open(patternSlide());
  Normalization net = Normalization::parse("imagenet");
  SlideSource source(*reader, 0, net, 2);
  CHECK(source.shape() == Shape{1, 3, 250, 333});
  std::vector<Region> plan = {rect(0, 0, 100, 120), rect(0, 100, 100, 233),
                              rect(90, 0, 160, 120), rect(90, 100, 160, 233),
                              rect(5, 5, 1, 1)};
  source.expect(plan);

  SECTION("in order") {
    for (const Region &r : plan)
      CHECK(source.read(r).data == expected(r, net).data);
    CHECK(source.prefetched() == 5);
    CHECK(source.synchronous() == 0);
  }
  SECTION("skipping a planned region, and reading one never planned") {
    CHECK(source.read(plan[0]).data == expected(plan[0], net).data);
    CHECK(source.read(plan[2]).data == expected(plan[2], net).data);
    Region odd = rect(3, 4, 20, 30);
    CHECK(source.read(odd).data == expected(odd, net).data);
    CHECK(source.read(plan[3]).data == expected(plan[3], net).data);
    CHECK(source.read(plan[4]).data == expected(plan[4], net).data);
    CHECK(source.prefetched() == 4);
    CHECK(source.synchronous() == 1);
  }
  SECTION("a new plan replaces the old one") {
    CHECK(source.read(plan[0]).data == expected(plan[0], net).data);
    source.expect({plan[4], plan[1]});
    CHECK(source.read(plan[4]).data == expected(plan[4], net).data);
    CHECK(source.read(plan[1]).data == expected(plan[1], net).data);
    CHECK(source.synchronous() == 0);
  }
  CHECK(source.decodeSeconds() > 0);
}

TEST_CASE("a reduced level through the source", "[pipeline]") {
  auto reader = slide::SlideReader::open(patternSlide());
  SlideSource source(*reader, 1, Normalization::parse("none"));
  CHECK(source.shape() == Shape{1, 3, 125, 167});
  Tensor t = source.read(rect(120, 160, 5, 7)); // not expected: synchronous
  slide::RGBImage rgb = reader->readRegion(1, 160, 120, 7, 5);
  CHECK(t.data[0] == float(rgb.pixels[0]) / 255.0f);
  CHECK(t.data[35 + 34] == float(rgb.pixels[34 * 3 + 1]) / 255.0f);
  CHECK(source.synchronous() == 1);
}

TEST_CASE("progress lines", "[pipeline]") {
  CHECK(formatDuration(4.54) == "4.5s");
  CHECK(formatDuration(45) == "45s");
  CHECK(formatDuration(185) == "3m05s");
  CHECK(formatDuration(7620) == "2h07m");
  CHECK(formatDuration(-1) == "?");
  CHECK(formatProgress(0, 1, 120, 480, 3.21, 12.5, 112, false) ==
        "sstep-run: tiles 120/480 (25%), 3.21 tiles/s, 12.5 MP/s, ETA 1m52s");
  CHECK(formatProgress(1, 3, 4, 4, 2, 1, 2, true) ==
        "sstep-run: stage 2/3, tiles 4/4 (100%), 2 tiles/s, 1 MP/s, done in "
        "2.0s");

  CHECK(formatProgress(0, 1, 3, 4, 2, 1, 2, true, "tool", "patches") ==
        "tool: patches 3/4 (75%), 2 patches/s, 1 MP/s, done in 2.0s");

  std::FILE *log = std::tmpfile();
  Progress progress(log, true, false, 1);
  progress.setTilesToRun(2);
  for (int64_t i = 0; i < 3; ++i)
    progress.tile({0, 0, i, i, 3}, i != 1, 1e6);
  progress.end();
  std::rewind(log);
  char line[200] = "";
  CHECK(std::fgets(line, sizeof line, log));
  CHECK_THAT(line, Catch::StartsWith("sstep-run: tiles 3/3 (100%), ") &&
                       Catch::Contains("done in") && Catch::EndsWith("\n"));
  CHECK_FALSE(std::fgets(line, sizeof line, log)); // one line: the last
  std::fclose(log);

  Progress quiet(log = std::tmpfile(), false, false, 1);
  quiet.tile({0, 0, 0, 0, 1}, true, 1);
  quiet.end();
  CHECK(std::ftell(log) == 0);
  std::fclose(log);
}

TEST_CASE("patches lie wholly inside the level, row-major", "[pipeline]") {
  // 1100 x 1500 with 256-pixel patches: 5 columns (the last 220 pixels
  // hold no whole patch) and 4 rows.
  std::vector<Size2> grid = patchOrigins({1100, 1500}, 256, 256);
  REQUIRE(grid.size() == 20);
  CHECK(grid[0] == Size2{0, 0});
  CHECK(grid[4] == Size2{0, 1024});
  CHECK(grid[5] == Size2{256, 0});
  CHECK(grid[19] == Size2{768, 1024});
  // Overlapping patches: stride 100 over 300 pixels fits origins 0..200.
  CHECK(patchOrigins({300, 300}, 100, 100).size() == 9);
  CHECK(patchOrigins({300, 300}, 200, 50).size() == 9);
  // Exactly one patch, none, and no patches for a bad size or stride.
  CHECK(patchOrigins({256, 256}, 256, 256).size() == 1);
  CHECK(patchOrigins({255, 1000}, 256, 256).empty());
  CHECK(patchOrigins({1000, 1000}, 0, 256).empty());
  CHECK(patchOrigins({1000, 1000}, 256, 0).empty());
}
