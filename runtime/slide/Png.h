//===- Png.h - PNG files through libpng ---------------------------*- C++
//-*-===//

#ifndef SSTEP_RUNTIME_SLIDE_PNG_H
#define SSTEP_RUNTIME_SLIDE_PNG_H

#include <cstdint>
#include <string>

namespace sstep::slide {

/// Writes 8-bit greyscale (`channels` 1) or RGB (3) pixels, rows packed.
/// Throws SlideError naming `path`.
void writePng(const std::string &path, int64_t width, int64_t height,
              int channels, const uint8_t *pixels);

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_PNG_H
