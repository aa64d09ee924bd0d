//===- TiffSlide.h - Tiled TIFF pyramids through libtiff --------*- C++ -*-===//
//
// Generic tiled pyramidal TIFF and BigTIFF, and Aperio SVS. Levels are the
// tiled directories, largest first; Aperio's stripped directories are its
// thumbnail (always the second directory), label and macro, recognised as
// OpenSlide recognises them and never taken for levels.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_TIFFSLIDE_H
#define SSTEP_RUNTIME_SLIDE_TIFFSLIDE_H

#include "runtime/slide/SlideReader.h"
#include "runtime/slide/ThreadPool.h"
#include "runtime/slide/TiffHandle.h"
#include "runtime/slide/TileCache.h"
#include "runtime/slide/TileDecoder.h"

#include <map>

namespace sstep::slide {

/// A TIFF directory's place in the slide; `dir` orders the main chain's
/// directories, `offset` finds any directory, SubIFDs included.
struct TiffDirectory {
  tdir_t dir = 0;
  uint64_t offset = 0;
  int64_t width = 0;
  int64_t height = 0;
  TileFormat format;
};

class TiffSlide : public SlideReader {
public:
  /// Null when `path` is a TIFF without a tiled pyramid libtiff can decode
  /// (the caller may try OpenSlide); throws SlideError when it is no TIFF.
  static std::unique_ptr<TiffSlide> open(const std::string &path,
                                         const ReaderOptions &options);

  RGBImage readRegion(int level, int64_t x, int64_t y, int64_t w,
                      int64_t h) const override;
  RGBImage readAssociated(const std::string &name) const override;
  CacheStats cacheStats() const override { return cache_.stats(); }
  void setCacheBytes(std::size_t bytes) override { cache_.setCapacity(bytes); }
  void dropCachedTiles() const override { cache_.clear(); }

private:
  TiffSlide(const std::string &path, const ReaderOptions &options);

  /// Reads every directory of `handle` into levels and associated images;
  /// false when there is no tiled level.
  bool scan(TiffHandle &handle);
  /// Tiled pyramid levels stored as SubIFDs of `parent` (OME-TIFF, libvips
  /// --subifd), appended to `tiled`.
  void addSubIfds(TiffHandle &handle, const std::vector<uint64_t> &offsets,
                  std::vector<TiffDirectory> &tiled);
  void addLevels(std::vector<TiffDirectory> tiled);
  void readVendorProperties(TiffHandle &handle);

  TileBuffer decodeTile(int level, int64_t col, int64_t row) const;
  /// Decodes the tiles of `keys` that `tiles` lacks, on the pool.
  void decodeMissing(const std::vector<TileKey> &keys,
                     std::vector<TileBuffer> &tiles) const;

  std::vector<TiffDirectory> levelDirs_;
  std::map<std::string, uint64_t> associatedDirs_; // name -> IFD offset
  mutable TileCache cache_;
  mutable TiffHandlePool handles_;
  std::unique_ptr<ThreadPool> pool_;
};

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_TIFFSLIDE_H
