//===- OpenSlideSlide.h - Other vendors' formats through OpenSlide -*- C++
//-*-===//
//
// The fallback for what libtiff cannot read as a tiled pyramid (MIRAX,
// Hamamatsu NDPI/VMS, Ventana, Philips, Leica, Aperio JPEG 2000...). OpenSlide
// keeps its own tile cache and is thread-safe, so this adapter only converts
// coordinates (level frame to level-0 origin) and pixels (premultiplied ARGB
// to RGB over the fill colour).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_OPENSLIDESLIDE_H
#define SSTEP_RUNTIME_SLIDE_OPENSLIDESLIDE_H

#include "runtime/slide/SlideReader.h"

typedef struct _openslide openslide_t;

namespace sstep::slide {

class OpenSlideSlide : public SlideReader {
public:
  /// Throws SlideError when OpenSlide cannot open `path`.
  OpenSlideSlide(const std::string &path, const ReaderOptions &options);
  ~OpenSlideSlide() override;

  /// The vendor OpenSlide recognises `path` as, or "" when none.
  static std::string detectVendor(const std::string &path);

  RGBImage readRegion(int level, int64_t x, int64_t y, int64_t w,
                      int64_t h) const override;
  RGBImage readAssociated(const std::string &name) const override;

private:
  std::string property(const std::string &name) const;
  void checkError(const ErrorSite &site) const;
  void toRGB(const std::vector<uint32_t> &argb, RGBImage &out) const;

  openslide_t *osr_ = nullptr;
};

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_OPENSLIDESLIDE_H
