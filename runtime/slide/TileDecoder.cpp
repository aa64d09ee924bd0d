//===- TileDecoder.cpp - One TIFF tile to RGB -----------------------------===//

#include "runtime/slide/TileDecoder.h"
#include "runtime/slide/TiffHandle.h"

#include <cstring>

namespace sstep::slide {
namespace {

/// Blends `c` (straight alpha) over the fill colour.
uint8_t over(unsigned c, unsigned a, unsigned fill) {
  return static_cast<uint8_t>((c * a + fill * (255 - a) + 127) / 255);
}

/// Blends premultiplied `c` over the fill colour.
uint8_t overPremultiplied(unsigned c, unsigned a, unsigned fill) {
  unsigned v = c + (fill * (255 - a) + 127) / 255;
  return static_cast<uint8_t>(v > 255 ? 255 : v);
}

void samplesToRGB(const uint8_t *src, const TileFormat &f, std::size_t pixels,
                  const std::array<uint8_t, 3> &fill, uint8_t *rgb) {
  const unsigned spp = f.samplesPerPixel;
  const bool colour = spp >= 3;
  const bool invert = f.photometric == PHOTOMETRIC_MINISWHITE;
  const bool hasAlpha = f.alpha >= 0;
  const bool premultiplied = f.alpha == EXTRASAMPLE_ASSOCALPHA;
  for (std::size_t i = 0; i < pixels; ++i, src += spp, rgb += 3) {
    for (int c = 0; c < 3; ++c) {
      unsigned v = colour ? src[c] : src[0];
      if (invert)
        v = 255 - v;
      if (hasAlpha) {
        unsigned a = src[colour ? 3 : 1];
        v = premultiplied ? overPremultiplied(v, a, fill[c])
                          : over(v, a, fill[c]);
      }
      rgb[c] = static_cast<uint8_t>(v);
    }
  }
}

void readJpegTile(TiffHandle &handle, const TileFormat &f, uint32_t tile,
                  uint64_t bytes, const ErrorSite &site, uint8_t *rgb) {
  TIFF *tiff = handle.get();
  // The byte count is the file's word: a damaged one must not size the
  // buffer (a fuzzed tile claimed 3 GB in a 16 KB file).
  uint64_t offset = TIFFGetStrileOffset(tiff, tile);
  uint64_t fileSize = TIFFGetSizeProc(tiff)(TIFFClientdata(tiff));
  if (offset > fileSize || bytes > fileSize - offset)
    throw SlideError(site, "tile data (" + std::to_string(bytes) +
                               " bytes at offset " + std::to_string(offset) +
                               ") lies past the end of the file (" +
                               std::to_string(fileSize) + " bytes)");
  std::vector<uint8_t> raw(bytes);
  tmsize_t got =
      TIFFReadRawTile(tiff, tile, raw.data(), static_cast<tmsize_t>(bytes));
  if (got < 0 || static_cast<uint64_t>(got) != bytes)
    throw SlideError(site, "truncated or unreadable tile data (" +
                               std::to_string(bytes) + " bytes expected at " +
                               "offset " + std::to_string(offset) +
                               "): " + handle.takeErrors());
  decodeJpeg(f.jpegTables.data(), f.jpegTables.size(), raw.data(), raw.size(),
             f.photometric, f.tileWidth, f.tileHeight, site, rgb);
}

void readPlainTile(TiffHandle &handle, const TileFormat &f, uint32_t tile,
                   const std::array<uint8_t, 3> &fill, const ErrorSite &site,
                   uint8_t *rgb) {
  std::size_t pixels = std::size_t(f.tileWidth) * f.tileHeight;
  std::vector<uint8_t> samples(pixels * f.samplesPerPixel);
  tmsize_t got = TIFFReadEncodedTile(handle.get(), tile, samples.data(),
                                     static_cast<tmsize_t>(samples.size()));
  if (got != static_cast<tmsize_t>(samples.size()))
    throw SlideError(site, "corrupt or truncated tile: " + handle.takeErrors());
  samplesToRGB(samples.data(), f, pixels, fill, rgb);
}

/// Anything else libtiff can decode (palette, 16-bit, old JPEG, planar...):
/// through its RGBA interface, which OpenSlide uses for every non-JPEG tile.
void readRGBATile(TiffHandle &handle, const TileFormat &f, uint32_t tile,
                  const std::array<uint8_t, 3> &fill, const ErrorSite &site,
                  uint8_t *rgb) {
  uint32_t x = static_cast<uint32_t>(site.tileCol) * f.tileWidth;
  uint32_t y = static_cast<uint32_t>(site.tileRow) * f.tileHeight;
  std::vector<uint32_t> raster(std::size_t(f.tileWidth) * f.tileHeight);
  if (!TIFFReadRGBATile(handle.get(), x, y, raster.data()))
    throw SlideError(site,
                     "corrupt or unsupported tile: " + handle.takeErrors());
  // The raster's origin is the lower left corner, alpha premultiplied.
  for (uint32_t r = 0; r < f.tileHeight; ++r) {
    const uint32_t *src =
        &raster[std::size_t(f.tileHeight - 1 - r) * f.tileWidth];
    uint8_t *dst = rgb + std::size_t(r) * f.tileWidth * 3;
    for (uint32_t c = 0; c < f.tileWidth; ++c, dst += 3) {
      unsigned a = TIFFGetA(src[c]);
      dst[0] = overPremultiplied(TIFFGetR(src[c]), a, fill[0]);
      dst[1] = overPremultiplied(TIFFGetG(src[c]), a, fill[1]);
      dst[2] = overPremultiplied(TIFFGetB(src[c]), a, fill[2]);
    }
  }
}

} // namespace

bool TileFormat::rawJpeg() const {
  return compression == COMPRESSION_JPEG && bitsPerSample == 8 &&
         planar == PLANARCONFIG_CONTIG &&
         (samplesPerPixel == 1 || samplesPerPixel == 3) &&
         (photometric == PHOTOMETRIC_YCBCR || photometric == PHOTOMETRIC_RGB ||
          photometric == PHOTOMETRIC_MINISBLACK);
}

bool TileFormat::plainSamples() const {
  bool grey = (photometric == PHOTOMETRIC_MINISBLACK ||
               photometric == PHOTOMETRIC_MINISWHITE) &&
              samplesPerPixel == (alpha >= 0 ? 2 : 1);
  bool rgb =
      photometric == PHOTOMETRIC_RGB && samplesPerPixel == (alpha >= 0 ? 4 : 3);
  return compression != COMPRESSION_JPEG && compression != COMPRESSION_OJPEG &&
         bitsPerSample == 8 && sampleFormat == SAMPLEFORMAT_UINT &&
         (planar == PLANARCONFIG_CONTIG || samplesPerPixel == 1) &&
         (grey || rgb);
}

TileFormat readTileFormat(TIFF *tiff) {
  TileFormat f;
  TIFFGetField(tiff, TIFFTAG_TILEWIDTH, &f.tileWidth);
  TIFFGetField(tiff, TIFFTAG_TILELENGTH, &f.tileHeight);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_COMPRESSION, &f.compression);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_PHOTOMETRIC, &f.photometric);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLESPERPIXEL, &f.samplesPerPixel);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_BITSPERSAMPLE, &f.bitsPerSample);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLEFORMAT, &f.sampleFormat);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_PLANARCONFIG, &f.planar);
  uint16_t extraCount = 0;
  uint16_t *extra = nullptr;
  if (TIFFGetField(tiff, TIFFTAG_EXTRASAMPLES, &extraCount, &extra) &&
      extraCount > 0)
    f.alpha =
        extra[0] == EXTRASAMPLE_UNSPECIFIED ? EXTRASAMPLE_UNASSALPHA : extra[0];
  uint32_t tablesSize = 0;
  void *tables = nullptr;
  if (f.compression == COMPRESSION_JPEG &&
      TIFFGetField(tiff, TIFFTAG_JPEGTABLES, &tablesSize, &tables) &&
      tablesSize > 0) {
    auto *bytes = static_cast<const uint8_t *>(tables);
    f.jpegTables.assign(bytes, bytes + tablesSize);
  }
  return f;
}

void readTileRGB(TiffHandle &handle, const TileFormat &f, uint32_t tile,
                 const std::array<uint8_t, 3> &fill, const ErrorSite &site,
                 uint8_t *rgb) {
  uint64_t bytes = TIFFGetStrileByteCount(handle.get(), tile);
  if (bytes == 0) {
    // A tile the scanner never wrote: OpenSlide shows it transparent.
    std::size_t pixels = std::size_t(f.tileWidth) * f.tileHeight;
    for (std::size_t i = 0; i < pixels; ++i)
      std::memcpy(rgb + 3 * i, fill.data(), 3);
    return;
  }
  if (f.rawJpeg())
    readJpegTile(handle, f, tile, bytes, site, rgb);
  else if (f.plainSamples())
    readPlainTile(handle, f, tile, fill, site, rgb);
  else
    readRGBATile(handle, f, tile, fill, site, rgb);
}

} // namespace sstep::slide
