//===- TileDecoder.h - One TIFF tile to RGB -----------------------*- C++
//-*-===//
//
// JPEG tiles are read raw and decoded with libjpeg-turbo exactly as OpenSlide
// decodes them (same library, default islow IDCT and fancy upsampling), so the
// pixels match OpenSlide's. Other codecs are decoded by libtiff. Output is
// always a full tile of interleaved RGB; edge tiles carry the encoder's
// padding beyond the image, which readers clip.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_TILEDECODER_H
#define SSTEP_RUNTIME_SLIDE_TILEDECODER_H

#include "runtime/slide/SlideError.h"

#include <tiffio.h>

#include <array>
#include <cstdint>
#include <vector>

namespace sstep::slide {

/// What decoding a directory's tiles needs to know, read once at open.
struct TileFormat {
  uint32_t tileWidth = 0;
  uint32_t tileHeight = 0;
  uint16_t compression = COMPRESSION_NONE;
  uint16_t photometric = PHOTOMETRIC_RGB;
  uint16_t samplesPerPixel = 3;
  uint16_t bitsPerSample = 8;
  uint16_t sampleFormat = SAMPLEFORMAT_UINT;
  uint16_t planar = PLANARCONFIG_CONTIG;
  /// EXTRASAMPLE_* of the alpha channel, or -1 without one.
  int alpha = -1;
  std::vector<uint8_t> jpegTables;

  /// Raw JPEG decoding applies (else libtiff decodes).
  bool rawJpeg() const;
  /// libtiff's samples convert directly (else TIFFReadRGBATile is used).
  bool plainSamples() const;
};

/// Reads the fields above from the current directory of `tiff`.
TileFormat readTileFormat(TIFF *tiff);

class TiffHandle;

/// Decodes tile `tile` of the current directory of `handle` into `rgb`
/// (tileWidth * tileHeight * 3 bytes). A tile stored with zero bytes is
/// missing and reads as `fill`. Throws SlideError naming `site`.
void readTileRGB(TiffHandle &handle, const TileFormat &format, uint32_t tile,
                 const std::array<uint8_t, 3> &fill, const ErrorSite &site,
                 uint8_t *rgb);

/// Decodes one JPEG stream (`tables` may be empty) of a w x h tile into RGB.
/// `photometric` is the TIFF's, which overrides the stream's own colour-space
/// guess as OpenSlide does: Aperio writes RGB JPEG without an Adobe marker.
void decodeJpeg(const uint8_t *tables, std::size_t tablesSize,
                const uint8_t *data, std::size_t size, uint16_t photometric,
                uint32_t w, uint32_t h, const ErrorSite &site, uint8_t *rgb);

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_TILEDECODER_H
