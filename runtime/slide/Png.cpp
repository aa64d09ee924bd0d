//===- Png.cpp - PNG files through libpng ---------------------------------===//

#include "runtime/slide/Png.h"
#include "runtime/slide/SlideError.h"

#include <png.h>

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

} // namespace sstep::slide
