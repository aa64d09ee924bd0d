//===- slide_read_bench.cpp - Level-0 decode throughput vs OpenSlide ------===//
//
// Reads the whole of level 0 as a sweep of square regions (what a tiled CNN
// pass does, less the halos) and prints megapixels per second for SSTEP's
// reader with 1 and N decode threads, and for OpenSlide's C API called from
// 1 and N threads on the same regions, in one run on one machine. Glass
// decodes much faster than tissue, so the sweep is repeated over only the
// regions the tissue mask keeps.
//
// usage: slide_read_bench SLIDE [--threads N] [--region R] [--repeat K]
//
//===----------------------------------------------------------------------===//

#include "runtime/slide/SlideReader.h"
#include "runtime/slide/TissueMask.h"

#include <openslide.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace sstep::slide;

namespace {

struct Region {
  int64_t x, y, w, h;
};

std::vector<Region> sweep(int64_t width, int64_t height, int64_t size) {
  std::vector<Region> regions;
  for (int64_t y = 0; y < height; y += size)
    for (int64_t x = 0; x < width; x += size)
      regions.push_back(
          {x, y, std::min(size, width - x), std::min(size, height - y)});
  return regions;
}

double seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// Runs `read(region)` over `regions` from `callers` threads; seconds taken.
template <typename Read>
double timeSweep(const std::vector<Region> &regions, unsigned callers,
                 Read read) {
  std::atomic<std::size_t> next{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < callers; ++t)
    threads.emplace_back([&] {
      for (std::size_t i; (i = next++) < regions.size();)
        read(regions[i]);
    });
  for (std::thread &t : threads)
    t.join();
  return seconds(start);
}

double sstepSeconds(const std::string &path, const std::vector<Region> &regions,
                    unsigned threads) {
  ReaderOptions options;
  options.threads = threads;
  options.cacheBytes = std::size_t(64) << 20;
  auto slide = SlideReader::open(path, options);
  volatile uint8_t sink = 0;
  return timeSweep(regions, 1, [&](const Region &r) {
    RGBImage image = slide->readRegion(0, r.x, r.y, r.w, r.h);
    sink = sink + image.pixels[0];
  });
}

double openslideSeconds(const std::string &path,
                        const std::vector<Region> &regions, unsigned callers) {
  openslide_t *osr = openslide_open(path.c_str());
  if (!osr || openslide_get_error(osr)) {
    std::fprintf(stderr, "OpenSlide cannot open %s\n", path.c_str());
    std::exit(2);
  }
  double s = timeSweep(regions, callers, [&](const Region &r) {
    std::vector<uint32_t> argb(std::size_t(r.w * r.h));
    openslide_read_region(osr, argb.data(), r.x, r.y, 0, r.w, r.h);
  });
  openslide_close(osr);
  return s;
}

void run(const std::string &path, const char *what,
         const std::vector<Region> &regions, unsigned threads, int repeat) {
  double mp = 0;
  for (const Region &r : regions)
    mp += double(r.w) * double(r.h) / 1e6;
  std::printf("%s: %zu regions, %.0f MP\n", what, regions.size(), mp);
  struct Row {
    const char *name;
    unsigned n;
    bool sstep;
  } rows[] = {{"  SSTEP     1 thread ", 1, true},
              {"  SSTEP     N threads", threads, true},
              {"  OpenSlide 1 thread ", 1, false},
              {"  OpenSlide N threads", threads, false}};
  for (const Row &row : rows) {
    double best = 1e30;
    for (int k = 0; k < repeat; ++k)
      best = std::min(best, row.sstep ? sstepSeconds(path, regions, row.n)
                                      : openslideSeconds(path, regions, row.n));
    std::printf("%s (N=%u): %7.2f s  %7.1f MP/s\n", row.name, row.n, best,
                mp / best);
  }
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s SLIDE [--threads N] [--region R] "
                 "[--repeat K]\n",
                 argv[0]);
    return 2;
  }
  std::string path = argv[1];
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  int64_t regionSize = 2048;
  int repeat = 1;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads"))
      threads = unsigned(std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--region"))
      regionSize = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeat"))
      repeat = std::atoi(argv[i + 1]);
  }
  try {
    auto probe = SlideReader::open(path);
    const LevelInfo &l0 = probe->level(0);
    std::vector<Region> regions = sweep(l0.width, l0.height, regionSize);
    double mp = double(l0.width) * double(l0.height) / 1e6;
    std::printf("slide %s: level 0 %lld x %lld (%.0f MP), tiles %u x %u, %s; "
                "%zu regions of %lld^2; best of %d\n",
                path.c_str(), (long long)l0.width, (long long)l0.height, mp,
                l0.tileWidth, l0.tileHeight, l0.compression.c_str(),
                regions.size(), (long long)regionSize, repeat);
    std::vector<Region> tissue;
    TissueMask mask = TissueMask::compute(*probe);
    std::vector<uint8_t> keep =
        mask.tileGrid(l0.width, l0.height, regionSize, regionSize, 0);
    for (std::size_t i = 0; i < regions.size(); ++i)
      if (keep[i])
        tissue.push_back(regions[i]);
    run(path, "all regions", regions, threads, repeat);
    run(path, "tissue regions (mask)", tissue, threads, repeat);
  } catch (const SlideError &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  return 0;
}
