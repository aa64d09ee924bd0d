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
/// as a mask: 1 where any colour channel is non-zero (transparent pixels
/// count as 0), rows packed; sets `width` and `height`. A 16-bit label 1 or
/// a dark colour is non-zero too: pixels are read as linear 16-bit, never
/// rounded to 8 bits. Throws SlideError naming `path` for a file that is
/// missing, not a PNG, or over 2^25 pixels.
std::vector<uint8_t> readPngMask(const std::string &path, int64_t &width,
                                 int64_t &height);

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_PNG_H
