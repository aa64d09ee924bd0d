//===- ScratchImageTest.cpp - Stored images in scratch files --------------===//

#include <catch2/catch.hpp>

#include "runtime/core/RuntimeError.h"
#include "runtime/exec/ScratchImage.h"

#include <csignal>
#include <dirent.h>
#include <random>
#include <sys/resource.h>
#include <sys/stat.h>

using namespace sstep;
using exec::ScratchImage;

namespace {

Region box(int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
  return {{Interval{y0, y1}, Interval{x0, x1}}};
}

/// The value every test image holds at (n, c, y, x).
float pixel(int64_t n, int64_t c, int64_t y, int64_t x) {
  return float(n * 1000000 + c * 10000 + y * 100 + x) + 0.5f;
}

/// A block of the test image over `from`.
Tensor blockOf(const Shape &shape, const Region &from) {
  Tensor t({shape[0], shape[1], from.axes[0].size(), from.axes[1].size()});
  size_t i = 0;
  for (int64_t n = 0; n < shape[0]; ++n)
    for (int64_t c = 0; c < shape[1]; ++c)
      for (int64_t y = from.axes[0].lo; y <= from.axes[0].hi; ++y)
        for (int64_t x = from.axes[1].lo; x <= from.axes[1].hi; ++x)
          t.data[i++] = pixel(n, c, y, x);
  return t;
}

std::string folder() {
  std::string dir = std::string(SSTEP_TEST_WORK_DIR) + "/scratch";
  ::mkdir(SSTEP_TEST_WORK_DIR, 0755);
  ::mkdir(dir.c_str(), 0755);
  return dir;
}

int entries(const std::string &dir) {
  int count = 0;
  DIR *d = ::opendir(dir.c_str());
  while (dirent *e = ::readdir(d))
    count += std::string(e->d_name) != "." && std::string(e->d_name) != "..";
  ::closedir(d);
  return count;
}

} // namespace

TEST_CASE("a scratch image returns what tiles wrote, in any order",
          "[scratch]") {
  const Shape shape{2, 37, 23, 131};
  const bool interleaved = GENERATE(false, true);
  INFO((interleaved ? "interleaved" : "planar"));
  ScratchImage image(folder(), "feature", shape, interleaved);
  // 3 x 3 owned blocks, each written from a larger computed block (its
  // halo), in a shuffled order; then full-width strips over them.
  std::vector<Region> owned;
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t c = 0; c < 3; ++c)
      owned.push_back(box(r * 8, std::min<int64_t>(22, r * 8 + 7), c * 48,
                          std::min<int64_t>(130, c * 48 + 47)));
  std::mt19937 rng(3);
  std::shuffle(owned.begin(), owned.end(), rng);
  for (const Region &o : owned) {
    Region computed = box(std::max<int64_t>(0, o.axes[0].lo - 2),
                          std::min<int64_t>(22, o.axes[0].hi + 3),
                          std::max<int64_t>(0, o.axes[1].lo - 1), o.axes[1].hi);
    image.write(blockOf(shape, computed), computed, o);
  }
  CHECK(image.bytesWritten() == image.bytes());
  for (int64_t r = 0; r < 23; r += 5) {
    Region strip = box(r, std::min<int64_t>(22, r + 4), 0, 130);
    image.write(blockOf(shape, strip), strip, strip);
  }
  // Windows across block edges, a single pixel, the whole image.
  for (const Region &w : {box(5, 17, 6, 126), box(22, 22, 130, 130),
                          box(0, 22, 0, 130), box(7, 8, 0, 130)}) {
    INFO(formatRegion(w));
    Tensor got = image.read(w);
    Tensor want = blockOf(shape, w);
    REQUIRE(got.shape == want.shape);
    CHECK(got.data == want.data);
  }
  // The file was never in the folder's listing.
  CHECK(entries(folder()) == 0);
}

TEST_CASE("a scratch image reads zeros where no tile wrote", "[scratch]") {
  const Shape shape{1, 3, 10, 12};
  ScratchImage image(folder(), "sparse", shape, GENERATE(false, true));
  image.write(blockOf(shape, box(2, 3, 4, 7)), box(2, 3, 4, 7),
              box(2, 3, 4, 7));
  Tensor got = image.read(box(0, 9, 0, 11));
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < 10; ++y)
      for (int64_t x = 0; x < 12; ++x) {
        bool written = y >= 2 && y <= 3 && x >= 4 && x <= 7;
        CHECK(got.data[size_t((c * 10 + y) * 12 + x)] ==
              (written ? pixel(0, c, y, x) : 0.0f));
      }
}

TEST_CASE("scratch errors name the folder and the value", "[scratch]") {
  CHECK_THROWS_WITH(
      ScratchImage("/nonexistent/folder", "/layer1/Mul", {1, 2, 3, 4}, false),
      Catch::Contains("scratch folder /nonexistent/folder: cannot create a "
                      "file there for '/layer1/Mul'") &&
          Catch::Contains("No such file or directory"));

  // A full disk, as a file size limit shows it: EFBIG, not a crash.
  const Shape shape{1, 64, 64, 64}; // 1 MiB
  ScratchImage image(folder(), "/stage2/Relu", shape, true);
  struct rlimit saved;
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  auto previous = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 64 * 1024;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string error;
  try {
    image.write(blockOf(shape, box(0, 63, 0, 63)), box(0, 63, 0, 63),
                box(0, 63, 0, 63));
  } catch (const RuntimeError &e) {
    error = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous);
  CHECK_THAT(error, Catch::Contains("'/stage2/Relu'") &&
                        Catch::Contains("File too large") &&
                        Catch::Contains("--scratch"));
}
