//===- SlideReader.h - Whole-slide image pyramids, read by region -*- C++
//-*-===//
//
// A slide is a pyramid of levels; a region is read in the pixel frame of its
// own level (unlike OpenSlide, whose origin is always in level-0 pixels), and
// delivered as interleaved RGB uint8 whatever the source's colour layout.
// Pixels outside the level read as the fill colour. Readers are thread-safe:
// any number of threads may call readRegion on one reader.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_SLIDEREADER_H
#define SSTEP_RUNTIME_SLIDE_SLIDEREADER_H

#include "runtime/slide/SlideError.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sstep::slide {

struct LevelInfo {
  int64_t width = 0;
  int64_t height = 0;
  /// Level-0 pixels per pixel of this level (OpenSlide's definition: the
  /// mean of the two axes' ratios).
  double downsample = 1.0;
  /// 0 when the backend has no tile grid (OpenSlide fallback).
  uint32_t tileWidth = 0;
  uint32_t tileHeight = 0;
  std::string compression;
};

/// An image stored beside the pyramid (thumbnail, label, macro).
struct AssociatedImage {
  std::string name;
  int64_t width = 0;
  int64_t height = 0;
};

struct SlideProperties {
  std::string vendor;  ///< "aperio", "generic-tiff", or OpenSlide's name.
  std::string backend; ///< "libtiff" or "openslide".
  double mppX = 0;     ///< Microns per level-0 pixel; 0 when unknown.
  double mppY = 0;
  double magnification = 0; ///< Objective power; 0 when unknown.
  std::string description;  ///< Level 0's ImageDescription, when any.
};

/// Interleaved RGB, row-major, no padding.
struct RGBImage {
  int64_t width = 0;
  int64_t height = 0;
  std::vector<uint8_t> pixels;

  const uint8_t *at(int64_t x, int64_t y) const {
    return pixels.data() + 3 * (y * width + x);
  }
};

struct ReaderOptions {
  /// Bound on the decoded tiles kept for reuse.
  std::size_t cacheBytes = std::size_t(256) << 20;
  /// Decode threads for one region; 0 means one per hardware thread.
  unsigned threads = 0;
  /// Colour of pixels outside the level (and under transparent ones).
  std::array<uint8_t, 3> fill = {255, 255, 255};
  /// Try OpenSlide for files libtiff cannot read as a tiled pyramid.
  bool allowOpenSlide = true;
};

struct CacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
  std::size_t bytes = 0;
  std::size_t capacity = 0;
};

class SlideReader {
public:
  /// Opens `path` with libtiff when it is a tiled TIFF pyramid (generic,
  /// BigTIFF, Aperio SVS), else with OpenSlide. Throws SlideError.
  static std::unique_ptr<SlideReader> open(const std::string &path,
                                           const ReaderOptions &options = {});
  virtual ~SlideReader();

  const std::string &path() const { return path_; }
  const std::vector<LevelInfo> &levels() const { return levels_; }
  int levelCount() const { return static_cast<int>(levels_.size()); }
  const LevelInfo &level(int level) const;
  const SlideProperties &properties() const { return properties_; }
  const std::vector<AssociatedImage> &associatedImages() const {
    return associated_;
  }

  /// The w x h region at (x, y) in `level`'s own pixel frame. The region may
  /// cross the level's edge (those pixels are the fill colour) but must
  /// overlap it: a region wholly outside is almost always a coordinate-frame
  /// mistake and throws.
  virtual RGBImage readRegion(int level, int64_t x, int64_t y, int64_t w,
                              int64_t h) const = 0;

  /// The whole associated image `name`.
  virtual RGBImage readAssociated(const std::string &name) const = 0;

  virtual CacheStats cacheStats() const { return {}; }
  /// Bounds the decoded tiles kept for reuse (ReaderOptions::cacheBytes),
  /// evicting down to the new bound; a slide run sizes it by its windows.
  virtual void setCacheBytes(std::size_t) {}
  /// Lets go of the decoded tiles kept for reuse (the bound stays): a slide
  /// run's tiles are done with them before its output's pyramid is built.
  virtual void dropCachedTiles() const {}

protected:
  SlideReader(std::string path, ReaderOptions options)
      : path_(std::move(path)), options_(options) {}

  /// Throws unless `level` exists and the region is non-empty and overlaps it.
  void checkRegion(int level, int64_t x, int64_t y, int64_t w, int64_t h) const;

  std::string path_;
  ReaderOptions options_;
  std::vector<LevelInfo> levels_;
  SlideProperties properties_;
  std::vector<AssociatedImage> associated_;
};

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_SLIDEREADER_H
