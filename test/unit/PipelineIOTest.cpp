//===- PipelineIOTest.cpp - Spill files, journal, writer, conversion ------===//

#include <catch2/catch.hpp>

#include "SlideTestUtil.h"
#include "runtime/core/Npy.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/pipeline/Journal.h"
#include "runtime/pipeline/OutputFormat.h"
#include "runtime/pipeline/SpillWriter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

using namespace sstep;
using namespace sstep::pipeline;
using sstep::slide::test::scratch;

namespace {

Region rect(int64_t y, int64_t x, int64_t h, int64_t w) {
  return {{Interval{y, y + h - 1}, Interval{x, x + w - 1}}};
}

/// Value of channel c at (y, x): distinct everywhere.
float valueAt(int64_t c, int64_t y, int64_t x) {
  return float(c * 100000 + y * 300 + x) * 0.5f - 7.0f;
}

Tensor blockOf(int64_t channels, const Region &r) {
  Tensor t({1, channels, r.axes[0].size(), r.axes[1].size()});
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t y = 0; y < t.dim(2); ++y)
      for (int64_t x = 0; x < t.dim(3); ++x)
        t.data[size_t((c * t.dim(2) + y) * t.dim(3) + x)] =
            valueAt(c, r.axes[0].lo + y, r.axes[1].lo + x);
  return t;
}

/// Blocks of uneven sizes covering an h x w image, in a shuffled order.
std::vector<Region> unevenBlocks(int64_t h, int64_t w) {
  std::vector<Region> blocks;
  const int64_t ys[] = {0, 7, 30, 31, h}, xs[] = {0, 13, 14, 40, w};
  for (int i = 0; i + 1 < 5; ++i)
    for (int j = 0; j + 1 < 5; ++j)
      blocks.push_back(
          rect(ys[i], xs[j], ys[i + 1] - ys[i], xs[j + 1] - xs[j]));
  std::shuffle(blocks.begin(), blocks.end(), std::mt19937(5));
  return blocks;
}

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

TEST_CASE("spill files take blocks in any order at fixed offsets",
          "[pipeline]") {
  const int64_t C = 3, H = 45, W = 61;
  std::string path = scratch("spill.partial");
  {
    SpillFile spill(path, C, H, W, false);
    CHECK(spill.bytes() == C * H * W * 4);
    for (const Region &r : unevenBlocks(H, W))
      spill.write(r, blockOf(C, r).data.data());
    Tensor back({1, C, H, W});
    spill.read(rect(0, 0, H, W), back.data.data());
    CHECK(back.data == blockOf(C, rect(0, 0, H, W)).data);
    Tensor part({1, C, 5, 9});
    spill.read(rect(28, 10, 5, 9), part.data.data());
    CHECK(part.data == blockOf(C, rect(28, 10, 5, 9)).data);
    spill.fill(rect(1, 2, 3, 4), -1.5f);
    spill.read(rect(1, 2, 3, 4), part.data.data());
    CHECK(part.data[0] == -1.5f);
    CHECK_THROWS_WITH(spill.write(rect(40, 60, 6, 2), part.data.data()),
                      Catch::Contains("spill.partial") &&
                          Catch::Contains("outside the 45x61 image"));
  }
  SECTION("kept when resuming") {
    SpillFile spill(path, C, H, W, true);
    Tensor part({1, C, 2, 2});
    spill.read(rect(20, 20, 2, 2), part.data.data());
    CHECK(part.data == blockOf(C, rect(20, 20, 2, 2)).data);
  }
  SECTION("emptied otherwise: never-written pixels read as 0") {
    SpillFile spill(path, C, H, W, false);
    Tensor part({1, C, 2, 2}, 9.0f);
    spill.read(rect(20, 20, 2, 2), part.data.data());
    CHECK(part.data == sstep::FloatBuffer(12, 0.0f));
    spill.remove();
    CHECK_FALSE(std::ifstream(path));
  }
}

TEST_CASE("the journal resumes only the same command", "[pipeline]") {
  std::string path = scratch("run.journal");
  std::remove(path.c_str());
  {
    Journal j(path, "abc");
    CHECK(j.start() == Journal::Start::Fresh);
    j.record({0, 5, 2});
  }
  {
    Journal j(path, "abc");
    CHECK(j.start() == Journal::Start::Resumed);
    CHECK(j.doneCount() == 3);
    CHECK(j.done(5));
    CHECK_FALSE(j.done(1));
  }
  SECTION("a line cut short by a kill is dropped, then appended after") {
    std::ofstream(path, std::ios::app) << "1";
    {
      Journal j(path, "abc");
      CHECK(j.doneCount() == 3);
      CHECK_FALSE(j.done(1));
      j.record({7});
    }
    CHECK(slurp(path) == "sstep-journal 1 abc\n0\n5\n2\n7\n");
  }
  SECTION("another fingerprint starts afresh") {
    Journal j(path, "abd");
    CHECK(j.start() == Journal::Start::Mismatch);
    CHECK(j.doneCount() == 0);
    CHECK(slurp(path) == "sstep-journal 1 abd\n");
  }
  SECTION("garbage is not a journal") {
    std::ofstream(path, std::ios::app) << "x9\n";
    Journal j(path, "abc");
    CHECK(j.start() == Journal::Start::Mismatch);
    CHECK(j.doneCount() == 0);
    j.remove();
    CHECK_FALSE(std::ifstream(path));
  }
}

TEST_CASE("fingerprints tell their inputs apart", "[pipeline]") {
  auto of = [](const std::string &a, const std::string &b) {
    return Fingerprint().add(a).add(b).hex();
  };
  CHECK(of("ab", "c") == of("ab", "c"));
  CHECK(of("ab", "c") != of("a", "bc"));
  CHECK(of("ab", "c").size() == 16);
  CHECK(Fingerprint().add(int64_t(1)).hex() !=
        Fingerprint().add(int64_t(2)).hex());
}

TEST_CASE("the writer lands blocks, then journals their tiles", "[pipeline]") {
  const int64_t C = 2, H = 45, W = 61;
  std::string spillPath = scratch("writer.partial");
  std::string journalPath = scratch("writer.journal");
  std::remove(journalPath.c_str());
  Journal journal(journalPath, "f");
  SpillFile spill(spillPath, C, H, W, false);
  {
    // A queue of one block at a time: every write waits for the last.
    SpillWriter writer(&journal, 1, 1);
    int64_t tile = 0;
    for (const Region &r : unevenBlocks(H, W)) {
      writer.write(spill, r, blockOf(C, r));
      writer.tileDone(tile++);
    }
    writer.drain();
    CHECK(journal.doneCount() == 16);
    CHECK(writer.busySeconds() > 0);
  }
  Tensor back({1, C, H, W});
  spill.read(rect(0, 0, H, W), back.data.data());
  CHECK(back.data == blockOf(C, rect(0, 0, H, W)).data);
  CHECK(Journal(journalPath, "f").doneCount() == 16);

  SECTION("a failed write fails the next call and journals nothing more") {
    Journal again(journalPath, "f");
    SpillWriter writer(&again);
    writer.write(spill, rect(0, 0, 1, 1), blockOf(C, rect(0, 0, 1, 1)));
    writer.tileDone(100);
    SpillFile small(scratch("small.partial"), C, 2, 2, false);
    writer.write(small, rect(1, 1, 2, 2), blockOf(C, rect(1, 1, 2, 2)));
    // The failure surfaces at whichever call comes after it on the thread:
    // the record of tile 101, or the drain.
    auto rest = [&] {
      writer.tileDone(101);
      writer.drain();
    };
    CHECK_THROWS_WITH(rest(), Catch::Contains("small.partial"));
    CHECK_FALSE(again.done(101));
  }
  SECTION("a block of the wrong shape is refused at once") {
    SpillWriter writer(nullptr);
    CHECK_THROWS_AS(
        writer.write(spill, rect(0, 0, 2, 2), blockOf(C + 1, rect(0, 0, 2, 2))),
        RuntimeError);
  }
}

TEST_CASE("output formats by extension and their limits", "[pipeline]") {
  CHECK(formatOf("a/b.tif") == OutputFormat::Tiff);
  CHECK(formatOf("b.tiff") == OutputFormat::Tiff);
  CHECK(formatOf("b.h5") == OutputFormat::Hdf5);
  CHECK(formatOf("b.npy") == OutputFormat::Npy);
  CHECK(formatOf("b.json") == OutputFormat::Json);
  CHECK_FALSE(formatOf("b.png"));
  CHECK(tileEdgeFor(1, 4, 16 << 20) == 256);
  CHECK(tileEdgeFor(512, 4, 16 << 20) == 64);
  CHECK(tileEdgeFor(1 << 20, 4, 1) == 16);
  OutputOptions bytes;
  bytes.scale = 255;
  CHECK(checkOutput(OutputFormat::Tiff, 3, bytes).empty());
  CHECK(checkOutput(OutputFormat::Tiff, 4, bytes) ==
        "uint8 TIFF samples hold 1 (grey) or 3 (RGB) channels, the output "
        "has 4");
  CHECK(checkOutput(OutputFormat::Hdf5, 4, bytes).empty());
  OutputOptions jpeg;
  jpeg.compression = slide::TiffCompression::JPEG;
  CHECK(checkOutput(OutputFormat::Tiff, 1, jpeg) ==
        "JPEG compression needs uint8 samples");
}

TEST_CASE("spills convert to .npy and to uint8 TIFF pyramids", "[pipeline]") {
  const int64_t H = 300, W = 270;
  SpillFile spill(scratch("convert.partial"), 3, H, W, false);
  Tensor all({1, 3, H, W});
  for (int64_t i = 0; i < all.size(); ++i)
    all.data[size_t(i)] = float(i % 311) / 300.0f - 0.02f;
  all.data[5] = std::numeric_limits<float>::quiet_NaN();
  spill.write(rect(0, 0, H, W), all.data.data());

  std::string npy = scratch("convert.npy");
  convertSpill(spill, npy, OutputFormat::Npy, {});
  Tensor back = readNpy(npy);
  CHECK(back.shape == Shape{1, 3, H, W});
  CHECK(std::memcmp(back.data.data(), all.data.data(), all.data.size() * 4) ==
        0);

  std::string tif = scratch("convert.tif");
  OutputOptions o;
  o.scale = 255;
  o.mpp = 0.5;
  convertSpill(spill, tif, OutputFormat::Tiff, o);
  auto reader = slide::SlideReader::open(tif);
  CHECK(reader->levelCount() == 2); // 300 px in 256-pixel tiles, then 150
  CHECK(reader->properties().mppX == Approx(0.5));
  slide::RGBImage rgb = reader->readRegion(0, 0, 0, W, H);
  int64_t mismatches = 0;
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t p = 0; p < H * W; ++p) {
      float v = all.data[size_t(c * H * W + p)] * 255.0f;
      uint8_t want = !(v > 0) ? 0 : v >= 255 ? 255 : uint8_t(std::lround(v));
      mismatches += rgb.pixels[size_t(p * 3 + c)] != want;
    }
  CHECK(mismatches == 0);
  CHECK(rgb.pixels[5 * 3 + 0] == 0); // NaN
}

TEST_CASE("outputs encode band by band as blocks come, in band order",
          "[pipeline]") {
  // 256-row bands (TIFF tile rows): rows [0, 256), [256, 512), [512, 600).
  const int64_t C = 1, H = 600, W = 70;
  std::vector<Region> blocks;
  const int64_t ys[] = {0, 100, 256, 300, 512, H}, xs[] = {0, 33, W};
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 2; ++j)
      blocks.push_back(
          rect(ys[i], xs[j], ys[i + 1] - ys[i], xs[j + 1] - xs[j]));
  SpillFile spill(scratch("bands.partial"), C, H, W, false);
  for (const Region &r : blocks)
    spill.write(r, blockOf(C, r).data.data());
  std::string whole = scratch("bands-whole.tif");
  convertSpill(spill, whole, OutputFormat::Tiff, {});

  SECTION("top rows first: each band as soon as it is full") {
    std::string banded = scratch("bands-down.tif");
    OutputEncoder encoder(spill, banded, OutputFormat::Tiff, {});
    std::vector<int64_t> early;
    for (const Region &r : blocks) {
      encoder.credit(r);
      early.push_back(encoder.bandsEarly());
    }
    CHECK(early == std::vector<int64_t>{0, 0, 0, 1, 1, 1, 1, 2, 2, 3});
    encoder.finish();
    CHECK(slurp(banded) == slurp(whole));
  }
  SECTION("bottom rows first: nothing before the top band") {
    std::string banded = scratch("bands-up.tif");
    OutputEncoder encoder(spill, banded, OutputFormat::Tiff, {});
    for (size_t i = blocks.size(); i-- > 0;) {
      encoder.credit(blocks[i]);
      CHECK(encoder.bandsEarly() == (i == 0 ? 3 : 0));
    }
    encoder.finish();
    CHECK(slurp(banded) == slurp(whole));
  }
}
