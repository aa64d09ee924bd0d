//===- OpenSlideSlide.cpp - Other vendors' formats through OpenSlide ------===//

#include "runtime/slide/OpenSlideSlide.h"

#include <openslide.h>

#include <cmath>
#include <cstdlib>

namespace sstep::slide {

OpenSlideSlide::OpenSlideSlide(const std::string &path,
                               const ReaderOptions &options)
    : SlideReader(path, options) {
  osr_ = openslide_open(path.c_str());
  if (!osr_)
    throw SlideError(path, "not a slide OpenSlide can read");
  checkError(ErrorSite{path});
  properties_.vendor = property(OPENSLIDE_PROPERTY_NAME_VENDOR);
  properties_.backend = "openslide";
  properties_.mppX = std::atof(property(OPENSLIDE_PROPERTY_NAME_MPP_X).c_str());
  properties_.mppY = std::atof(property(OPENSLIDE_PROPERTY_NAME_MPP_Y).c_str());
  properties_.magnification =
      std::atof(property(OPENSLIDE_PROPERTY_NAME_OBJECTIVE_POWER).c_str());
  properties_.description = property(OPENSLIDE_PROPERTY_NAME_COMMENT);
  int32_t count = openslide_get_level_count(osr_);
  for (int32_t l = 0; l < count; ++l) {
    LevelInfo info;
    openslide_get_level_dimensions(osr_, l, &info.width, &info.height);
    info.downsample = openslide_get_level_downsample(osr_, l);
    std::string prefix = "openslide.level[" + std::to_string(l) + "].";
    info.tileWidth = std::atoi(property(prefix + "tile-width").c_str());
    info.tileHeight = std::atoi(property(prefix + "tile-height").c_str());
    info.compression = "vendor";
    levels_.push_back(info);
  }
  for (const char *const *n = openslide_get_associated_image_names(osr_); *n;
       ++n) {
    AssociatedImage a{*n, 0, 0};
    openslide_get_associated_image_dimensions(osr_, *n, &a.width, &a.height);
    associated_.push_back(a);
  }
  checkError(ErrorSite{path});
}

OpenSlideSlide::~OpenSlideSlide() {
  if (osr_)
    openslide_close(osr_);
}

std::string OpenSlideSlide::detectVendor(const std::string &path) {
  const char *vendor = openslide_detect_vendor(path.c_str());
  return vendor ? vendor : "";
}

std::string OpenSlideSlide::property(const std::string &name) const {
  const char *value = openslide_get_property_value(osr_, name.c_str());
  return value ? value : "";
}

void OpenSlideSlide::checkError(const ErrorSite &site) const {
  if (const char *err = openslide_get_error(osr_))
    throw SlideError(site, std::string("OpenSlide: ") + err);
}

void OpenSlideSlide::toRGB(const std::vector<uint32_t> &argb,
                           RGBImage &out) const {
  const auto &fill = options_.fill;
  for (std::size_t i = 0; i < argb.size(); ++i) {
    uint32_t p = argb[i];
    unsigned a = p >> 24;
    unsigned c[3] = {(p >> 16) & 0xFF, (p >> 8) & 0xFF, p & 0xFF};
    for (int k = 0; k < 3; ++k) {
      unsigned v = c[k] + (fill[k] * (255 - a) + 127) / 255;
      out.pixels[3 * i + k] = static_cast<uint8_t>(v > 255 ? 255 : v);
    }
  }
}

RGBImage OpenSlideSlide::readRegion(int level, int64_t x, int64_t y, int64_t w,
                                    int64_t h) const {
  checkRegion(level, x, y, w, h);
  double ds = levels_[level].downsample;
  std::vector<uint32_t> argb(std::size_t(w) * h);
  openslide_read_region(osr_, argb.data(), std::llround(x * ds),
                        std::llround(y * ds), level, w, h);
  checkError(ErrorSite{path_, level});
  RGBImage out{w, h, std::vector<uint8_t>(argb.size() * 3)};
  toRGB(argb, out);
  return out;
}

RGBImage OpenSlideSlide::readAssociated(const std::string &name) const {
  int64_t w = -1, h = -1;
  openslide_get_associated_image_dimensions(osr_, name.c_str(), &w, &h);
  if (w < 0)
    throw SlideError(path_, "no associated image \"" + name + "\"");
  std::vector<uint32_t> argb(std::size_t(w) * h);
  openslide_read_associated_image(osr_, name.c_str(), argb.data());
  checkError(ErrorSite{path_});
  RGBImage out{w, h, std::vector<uint8_t>(argb.size() * 3)};
  toRGB(argb, out);
  return out;
}

} // namespace sstep::slide
