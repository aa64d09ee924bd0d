//===- Png.cpp - PNG files through libpng ---------------------------------===//

#include "runtime/slide/Png.h"
#include "runtime/slide/SlideError.h"

#include <png.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

namespace sstep::slide {

void writePng(const std::string &path, int64_t width, int64_t height,
              int channels, const uint8_t *pixels) {
  if (channels != 1 && channels != 3)
    throw SlideError(path, "PNG output needs 1 or 3 channels");
  if (width <= 0 || height <= 0 ||
      width > std::numeric_limits<png_uint_32>::max() / 4 ||
      height > std::numeric_limits<png_uint_32>::max() / 4)
    throw SlideError(path, "bad PNG size " + std::to_string(width) + "x" +
                               std::to_string(height));
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  if (!png_image_write_to_file(&image, path.c_str(), 0, pixels, 0, nullptr))
    throw SlideError(path, std::string("cannot write PNG: ") + image.message);
}

std::vector<uint8_t> readPngGrey(const std::string &path, int64_t &width,
                                 int64_t &height) {
  if (std::FILE *f = std::fopen(path.c_str(), "rb"))
    std::fclose(f);
  else
    throw SlideError(path, std::string("cannot open: ") + std::strerror(errno));
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str()))
    throw SlideError(path, std::string("not a PNG: ") + image.message);
  if (uint64_t(image.width) * image.height > (uint64_t(1) << 28)) {
    png_image_free(&image);
    throw SlideError(path, "a PNG of " + std::to_string(image.width) + "x" +
                               std::to_string(image.height) +
                               " pixels is too large for a mask");
  }
  image.format = PNG_FORMAT_GRAY;
  std::vector<uint8_t> pixels(size_t(PNG_IMAGE_SIZE(image)));
  if (!png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr))
    throw SlideError(path, std::string("cannot read PNG: ") + image.message);
  width = image.width;
  height = image.height;
  return pixels;
}

} // namespace sstep::slide
