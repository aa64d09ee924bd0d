//===- Png.h - PNG files through libpng ---------------------------*- C++
//-*-===//

#ifndef SSTEP_RUNTIME_SLIDE_PNG_H
#define SSTEP_RUNTIME_SLIDE_PNG_H

#include <cstdint>
#include <string>
#include <vector>

namespace sstep::slide {

/// Writes 8-bit greyscale (`channels` 1) or RGB (3) pixels, rows packed.
/// Throws SlideError naming `path`.
void writePng(const std::string &path, int64_t width, int64_t height,
              int channels, const uint8_t *pixels);

/// Reads any PNG (grey, RGB, palette, with or without alpha, 8 or 16 bits)
/// as 8-bit grey, rows packed; sets `width` and `height`. Throws SlideError
/// naming `path` for a file that is not a PNG or is too large (2^28 pixels).
std::vector<uint8_t> readPngGrey(const std::string &path, int64_t &width,
                                 int64_t &height);

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_PNG_H
