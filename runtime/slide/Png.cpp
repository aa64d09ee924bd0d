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

std::vector<uint8_t> readPngMask(const std::string &path, int64_t &width,
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
  // Frees libpng's state on every way out (finish_read frees it itself).
  struct Free {
    png_image *image;
    ~Free() {
      if (image)
        png_image_free(image);
    }
  } free{&image};
  if (uint64_t(image.width) * image.height > (uint64_t(1) << 25))
    throw SlideError(path, "a PNG of " + std::to_string(image.width) + "x" +
                               std::to_string(image.height) +
                               " pixels is too large for a mask (at most "
                               "2^25 pixels; a mask needs no more)");
  // At the file's own depth, so that no value rounds to 0: 16-bit files
  // as linear 16-bit (colour premultiplied by alpha), 8-bit ones as 8-bit.
  bool deep = (image.format & PNG_FORMAT_FLAG_LINEAR) != 0;
  image.format = deep ? PNG_FORMAT_LINEAR_RGB_ALPHA : PNG_FORMAT_RGBA;
  std::vector<uint8_t> pixels(size_t(PNG_IMAGE_SIZE(image)));
  bool read =
      png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr) != 0;
  free.image = nullptr;
  if (!read)
    throw SlideError(path, std::string("cannot read PNG: ") + image.message);
  width = image.width;
  height = image.height;
  std::vector<uint8_t> mask(size_t(width * height));
  for (size_t i = 0; i < mask.size(); ++i) {
    if (deep) {
      const uint16_t *p =
          reinterpret_cast<const uint16_t *>(pixels.data()) + 4 * i;
      mask[i] = p[3] != 0 && (p[0] | p[1] | p[2]) != 0;
    } else {
      const uint8_t *p = pixels.data() + 4 * i;
      mask[i] = p[3] != 0 && (p[0] | p[1] | p[2]) != 0;
    }
  }
  return mask;
}

} // namespace sstep::slide
