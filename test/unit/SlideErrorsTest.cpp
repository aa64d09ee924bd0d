//===- SlideErrorsTest.cpp - Bad input fails loudly, naming where ---------===//

#include <catch2/catch.hpp>

#include "runtime/slide/SlideReader.h"
#include "runtime/slide/SyntheticSlide.h"
#include "runtime/slide/TiffHandle.h"
#include "test/unit/SlideTestUtil.h"

#include <fstream>
#include <iterator>

using namespace sstep::slide;
using namespace sstep::slide::test;

namespace {

std::vector<char> slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const std::string &path, const std::vector<char> &bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
}

/// File offset and size of tile `tile` of directory `dir`.
std::pair<uint64_t, uint64_t> tileExtent(const std::string &path, uint32_t tile,
                                         tdir_t dir = 0) {
  TiffHandle t(path, "r");
  t.setDirectory(dir, ErrorSite{path});
  return {TIFFGetStrileOffset(t.get(), tile),
          TIFFGetStrileByteCount(t.get(), tile)};
}

std::string makeSlide(const std::string &name, TiffCompression compression) {
  std::string path = scratch(name);
  TiffWriterOptions o;
  o.width = 600;
  o.height = 400;
  o.tileSize = 128;
  o.compression = compression;
  writeSyntheticSlide(path, o, 3);
  return path;
}

ReaderOptions tiffOnly(unsigned threads = 1) {
  ReaderOptions o;
  o.allowOpenSlide = false;
  o.threads = threads;
  return o;
}

} // namespace

TEST_CASE("files that are no slide", "[slide][errors]") {
  CHECK_THROWS_WITH(SlideReader::open(scratch("absent.tif")),
                    Catch::Contains("absent.tif: no such file"));
  std::string text = scratch("text.tif");
  std::ofstream(text) << "hello, not a TIFF\n";
  CHECK_THROWS_WITH(SlideReader::open(text),
                    Catch::Contains("text.tif: not a slide"));
}

TEST_CASE("levels and regions out of range", "[slide][errors]") {
  auto slide = SlideReader::open(makeSlide("range.tif", TiffCompression::JPEG),
                                 tiffOnly());
  int n = slide->levelCount();
  CHECK_THROWS_WITH(slide->readRegion(n, 0, 0, 10, 10),
                    Catch::Contains("range.tif: level " + std::to_string(n) +
                                    " out of range"));
  CHECK_THROWS_WITH(slide->readRegion(1, 300, 0, 10, 10),
                    Catch::Contains("level 1") &&
                        Catch::Contains("out of bounds"));
  CHECK_THROWS_WITH(slide->readRegion(0, -20, -20, 20, 5),
                    Catch::Contains("out of bounds"));
  CHECK_THROWS_WITH(slide->readRegion(0, 0, 0, 0, 5), Catch::Contains("empty"));
}

TEST_CASE("corrupt tiles name file, level and tile", "[slide][errors]") {
  for (auto compression : {TiffCompression::JPEG, TiffCompression::Deflate}) {
    std::string good = makeSlide("good.tif", compression);
    std::string bad = scratch("corrupt.tif");
    // Tile (2, 1) of level 0 is tile 7 of its 5-column grid.
    auto [offset, size] = tileExtent(good, 7);
    REQUIRE(size > 64);
    std::vector<char> bytes = slurp(good);
    // JPEG: keep the headers, garble the entropy-coded data. Deflate: garble
    // the zlib header too, since garbage after it can inflate to a full
    // tile before any check fails (libtiff stops when the tile is full).
    uint64_t from =
        compression == TiffCompression::JPEG ? offset + size / 4 : offset;
    for (uint64_t i = from; i < offset + size; ++i)
      bytes[i] = char((i * 131) & 0xFF);
    spit(bad, bytes);
    // Inline decoding, and the pool (the error crosses threads).
    for (unsigned threads : {1u, 3u}) {
      auto slide = SlideReader::open(bad, tiffOnly(threads));
      CHECK_NOTHROW(slide->readRegion(0, 0, 0, 128, 128));
      CHECK_THROWS_WITH(slide->readRegion(0, 0, 0, 600, 400),
                        Catch::Contains("corrupt.tif: level 0: tile (2, 1)"));
      // Its neighbours still read, and the bad tile fails again.
      CHECK_NOTHROW(slide->readRegion(0, 0, 0, 256, 400));
      CHECK_THROWS(slide->readRegion(0, 300, 150, 10, 10));
    }
    // The start-of-image marker gone: caught before decoding.
    if (compression == TiffCompression::JPEG) {
      bytes[offset] = 0;
      spit(bad, bytes);
      auto again = SlideReader::open(bad, tiffOnly());
      CHECK_THROWS_WITH(again->readRegion(0, 256, 128, 10, 10),
                        Catch::Contains("tile (2, 1)") &&
                            Catch::Contains("start-of-image"));
    }
  }
}

TEST_CASE("truncated files", "[slide][errors]") {
  std::string good = makeSlide("whole.tif", TiffCompression::Deflate);
  const std::vector<char> bytes = slurp(good);
  std::string cut = scratch("truncated.tif");
  SECTION("cut inside level 0's directory") {
    auto [offset, size] = tileExtent(good, 19);
    spit(cut, std::vector<char>(bytes.begin(),
                                bytes.begin() + long(offset + size + 40)));
    CHECK_THROWS_WITH(SlideReader::open(cut, tiffOnly()),
                      Catch::Contains("truncated.tif: not a slide"));
  }
  SECTION("cut inside level 1's tiles") {
    // Level 1's tiles follow level 0's directory, which stays whole; the
    // chain then points past the end of the file.
    auto [offset, size] = tileExtent(good, 0, 1);
    spit(cut, std::vector<char>(bytes.begin(),
                                bytes.begin() + long(offset + size / 2)));
    CHECK_THROWS_WITH(SlideReader::open(cut, tiffOnly()),
                      Catch::Contains("truncated.tif") &&
                          Catch::Contains("truncated file?"));
  }
}
