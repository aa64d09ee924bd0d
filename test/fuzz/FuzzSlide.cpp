//===- FuzzSlide.cpp - Slide files: a clean error or pixels, every level --===//
//
// The bytes open as a slide (libtiff first, then OpenSlide); each level is
// then read at its corners and centre, and each associated image, as a run
// would. A malformed file must give SlideError naming it, never a crash.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/slide/SlideError.h"
#include "runtime/slide/SlideReader.h"
#include "test/fuzz/FuzzInput.h"

#include <algorithm>

using namespace sstep::slide;

namespace {

void readLevel(const SlideReader &reader, int level) {
  const LevelInfo &info = reader.level(level);
  int64_t w = std::min<int64_t>(info.width, 96);
  int64_t h = std::min<int64_t>(info.height, 96);
  const int64_t xs[] = {0, (info.width - w) / 2, info.width - w};
  const int64_t ys[] = {0, (info.height - h) / 2, info.height - h};
  for (int64_t y : ys)
    for (int64_t x : xs) {
      RGBImage image = reader.readRegion(level, x, y, w, h);
      if (int64_t(image.pixels.size()) != w * h * 3)
        __builtin_trap();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = sstep::fuzz::asFile(data, size, ".tif");
  try {
    ReaderOptions options;
    options.threads = 1;
    options.cacheBytes = size_t(8) << 20;
    auto reader = SlideReader::open(path, options);
    for (int level = 0; level < reader->levelCount(); ++level)
      readLevel(*reader, level);
    for (const AssociatedImage &a : reader->associatedImages())
      reader->readAssociated(a.name);
  } catch (const SlideError &) {
  } catch (const sstep::RuntimeError &) {
  }
  return 0;
}
