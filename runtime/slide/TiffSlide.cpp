//===- TiffSlide.cpp - Tiled TIFF pyramids through libtiff ----------------===//

#include "runtime/slide/TiffSlide.h"

#include <algorithm>
#include <cstring>
#include <exception>

namespace sstep::slide {

namespace {

unsigned decodeThreads(const ReaderOptions &options) {
  unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  return options.threads == 0 ? hardware : options.threads;
}

} // namespace

// Handles: one per decode thread and per caller thread, on a couple of levels.
TiffSlide::TiffSlide(const std::string &path, const ReaderOptions &options)
    : SlideReader(path, options), cache_(options.cacheBytes),
      handles_(path, 2 * decodeThreads(options) + 2) {
  // One thread decodes inline: no pool, no hand-off.
  if (decodeThreads(options) > 1)
    pool_ = std::make_unique<ThreadPool>(decodeThreads(options));
}

std::unique_ptr<TiffSlide> TiffSlide::open(const std::string &path,
                                           const ReaderOptions &options) {
  auto handle = std::make_unique<TiffHandle>(path, "r");
  std::unique_ptr<TiffSlide> slide(new TiffSlide(path, options));
  if (!slide->scan(*handle))
    return nullptr;
  return slide;
}

TileBuffer TiffSlide::decodeTile(int level, int64_t col, int64_t row) const {
  const TiffDirectory &d = levelDirs_[level];
  ErrorSite site{path_, level, col, row};
  auto lease = handles_.acquire(d.offset, site);
  uint32_t index = TIFFComputeTile(
      lease->get(), static_cast<uint32_t>(col * d.format.tileWidth),
      static_cast<uint32_t>(row * d.format.tileHeight), 0, 0);
  auto rgb = std::make_shared<std::vector<uint8_t>>(
      std::size_t(d.format.tileWidth) * d.format.tileHeight * 3);
  readTileRGB(*lease, d.format, index, options_.fill, site, rgb->data());
  return rgb;
}

void TiffSlide::decodeMissing(const std::vector<TileKey> &keys,
                              std::vector<TileBuffer> &tiles) const {
  std::vector<std::future<void>> pending;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (tiles[i])
      continue;
    auto job = [this, &keys, &tiles, i] {
      tiles[i] = decodeTile(keys[i].level, keys[i].col, keys[i].row);
      cache_.insert(keys[i], tiles[i]);
    };
    if (pool_)
      pending.push_back(pool_->submit(job));
    else
      job();
  }
  // Wait for every task before rethrowing: they reference `tiles`.
  std::exception_ptr first;
  for (std::future<void> &f : pending) {
    try {
      f.get();
    } catch (...) {
      if (!first)
        first = std::current_exception();
    }
  }
  if (first)
    std::rethrow_exception(first);
}

RGBImage TiffSlide::readRegion(int level, int64_t x, int64_t y, int64_t w,
                               int64_t h) const {
  checkRegion(level, x, y, w, h);
  const LevelInfo &info = levels_[level];
  const int64_t tw = info.tileWidth, th = info.tileHeight;
  const int64_t x0 = std::max<int64_t>(x, 0), x1 = std::min(x + w, info.width);
  const int64_t y0 = std::max<int64_t>(y, 0), y1 = std::min(y + h, info.height);

  RGBImage out{w, h, std::vector<uint8_t>(std::size_t(w) * h * 3)};
  if (x0 != x || y0 != y || x1 != x + w || y1 != y + h)
    for (std::size_t i = 0; i < out.pixels.size(); i += 3)
      std::memcpy(&out.pixels[i], options_.fill.data(), 3);

  std::vector<TileKey> keys;
  for (int64_t r = y0 / th; r <= (y1 - 1) / th; ++r)
    for (int64_t c = x0 / tw; c <= (x1 - 1) / tw; ++c)
      keys.push_back({level, c, r});
  std::vector<TileBuffer> tiles(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i)
    tiles[i] = cache_.find(keys[i]);
  decodeMissing(keys, tiles);

  for (std::size_t i = 0; i < keys.size(); ++i) {
    const int64_t tx = keys[i].col * tw, ty = keys[i].row * th;
    const int64_t cx0 = std::max(x0, tx), cx1 = std::min(x1, tx + tw);
    const int64_t cy0 = std::max(y0, ty), cy1 = std::min(y1, ty + th);
    for (int64_t yy = cy0; yy < cy1; ++yy)
      std::memcpy(&out.pixels[3 * ((yy - y) * w + (cx0 - x))],
                  tiles[i]->data() + 3 * ((yy - ty) * tw + (cx0 - tx)),
                  std::size_t(cx1 - cx0) * 3);
  }
  return out;
}

RGBImage TiffSlide::readAssociated(const std::string &name) const {
  auto it = associatedDirs_.find(name);
  if (it == associatedDirs_.end())
    throw SlideError(path_, "no associated image \"" + name + "\"");
  ErrorSite site{path_};
  auto lease = handles_.acquire(it->second, site);
  uint32_t w = 0, h = 0;
  TIFFGetField(lease->get(), TIFFTAG_IMAGEWIDTH, &w);
  TIFFGetField(lease->get(), TIFFTAG_IMAGELENGTH, &h);
  std::vector<uint32_t> raster(std::size_t(w) * h);
  if (!TIFFReadRGBAImageOriented(lease->get(), w, h, raster.data(),
                                 ORIENTATION_TOPLEFT, 0))
    throw SlideError(site, "cannot read associated image \"" + name +
                               "\": " + lease->takeErrors());
  RGBImage out{w, h, std::vector<uint8_t>(std::size_t(w) * h * 3)};
  for (std::size_t i = 0; i < raster.size(); ++i) {
    out.pixels[3 * i] = TIFFGetR(raster[i]);
    out.pixels[3 * i + 1] = TIFFGetG(raster[i]);
    out.pixels[3 * i + 2] = TIFFGetB(raster[i]);
  }
  return out;
}

} // namespace sstep::slide
