//===- TiffWriter.cpp - Pyramidal tiled TIFF output -----------------------===//

#include "runtime/slide/TiffWriter.h"
#include "runtime/slide/TiffHandle.h"

#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace sstep::slide {
namespace {

/// Averages the valid part (srcW x srcH pixels) of a 2T x 2T source block,
/// given as four T x T tiles (row-major: top-left, top-right, bottom-left,
/// bottom-right), into one T x T tile. Pixels beyond the source edge are
/// excluded from the mean, not counted as black.
template <typename T>
void averageBlock(const std::vector<uint8_t> (&quad)[4], uint32_t tile,
                  int channels, int64_t srcW, int64_t srcH, T *out) {
  for (uint32_t oy = 0; oy < tile; ++oy)
    for (uint32_t ox = 0; ox < tile; ++ox)
      for (int c = 0; c < channels; ++c) {
        double sum = 0;
        int count = 0;
        for (uint32_t sy = 2 * oy; sy < 2 * oy + 2 && sy < srcH; ++sy)
          for (uint32_t sx = 2 * ox; sx < 2 * ox + 2 && sx < srcW; ++sx) {
            const auto &t = quad[(sy >= tile ? 2 : 0) + (sx >= tile ? 1 : 0)];
            const T *p = reinterpret_cast<const T *>(t.data());
            sum +=
                p[(std::size_t(sy % tile) * tile + sx % tile) * channels + c];
            ++count;
          }
        T &dst = out[(std::size_t(oy) * tile + ox) * channels + c];
        if (count == 0)
          dst = T(0);
        else if constexpr (std::is_integral_v<T>)
          dst = static_cast<T>((sum + count / 2) / count);
        else
          dst = static_cast<T>(sum / count);
      }
}

} // namespace

TiffCompression parseCompression(const std::string &name) {
  if (name == "none")
    return TiffCompression::None;
  if (name == "deflate")
    return TiffCompression::Deflate;
  if (name == "lzw")
    return TiffCompression::LZW;
  if (name == "zstd")
    return TiffCompression::Zstd;
  if (name == "jpeg")
    return TiffCompression::JPEG;
  throw std::invalid_argument("unknown compression \"" + name +
                              "\" (none, deflate, lzw, zstd, jpeg)");
}

PyramidTiffWriter::PyramidTiffWriter(const std::string &path,
                                     const TiffWriterOptions &options)
    : path_(path), partPath_(path + ".part"), options_(options) {
  const TiffWriterOptions &o = options_;
  if (o.width <= 0 || o.height <= 0 || o.width > UINT32_MAX ||
      o.height > UINT32_MAX)
    throw SlideError(path, "bad image size " + std::to_string(o.width) + "x" +
                               std::to_string(o.height));
  if (o.tileSize == 0 || o.tileSize % 16 != 0)
    throw SlideError(path, "tile size " + std::to_string(o.tileSize) +
                               " is not a positive multiple of 16");
  bool uint8 = o.sampleType == SampleType::UInt8;
  if (o.channels < 1 || (uint8 && o.channels != 1 && o.channels != 3))
    throw SlideError(path, "uint8 output has 1 or 3 channels, float32 >= 1");
  if (o.compression == TiffCompression::JPEG && !uint8)
    throw SlideError(path, "JPEG compression needs uint8 samples");
  if (o.jpegQuality < 1 || o.jpegQuality > 100)
    throw SlideError(path, "JPEG quality " + std::to_string(o.jpegQuality) +
                               " is not in 1..100");
  double estimate = double(o.width) * o.height * pixelBytes() * 4.0 / 3.0;
  bigTiff_ = o.bigTiff == TiffWriterOptions::BigTiff::Yes ||
             (o.bigTiff == TiffWriterOptions::BigTiff::Auto &&
              estimate > double(2ull << 30));
  tiff_ = std::make_unique<TiffHandle>(partPath_, bigTiff_ ? "w8" : "w");
  written_.assign(std::size_t(tilesAcross() * tilesDown()), false);
  startDirectory(o.width, o.height, false);
}

PyramidTiffWriter::~PyramidTiffWriter() {
  if (!finished_) {
    tiff_.reset();
    std::remove(partPath_.c_str());
  }
}

int64_t PyramidTiffWriter::tilesAcross() const {
  return (options_.width + options_.tileSize - 1) / options_.tileSize;
}

int64_t PyramidTiffWriter::tilesDown() const {
  return (options_.height + options_.tileSize - 1) / options_.tileSize;
}

std::size_t PyramidTiffWriter::pixelBytes() const {
  return std::size_t(options_.channels) *
         (options_.sampleType == SampleType::UInt8 ? 1 : 4);
}

std::size_t PyramidTiffWriter::tileBytes() const {
  return std::size_t(options_.tileSize) * options_.tileSize * pixelBytes();
}

void PyramidTiffWriter::startDirectory(int64_t width, int64_t height,
                                       bool reduced) {
  const TiffWriterOptions &o = options_;
  TIFF *t = tiff_->get();
  bool uint8 = o.sampleType == SampleType::UInt8;
  TIFFSetField(t, TIFFTAG_SUBFILETYPE, reduced ? FILETYPE_REDUCEDIMAGE : 0);
  TIFFSetField(t, TIFFTAG_IMAGEWIDTH, uint32_t(width));
  TIFFSetField(t, TIFFTAG_IMAGELENGTH, uint32_t(height));
  TIFFSetField(t, TIFFTAG_TILEWIDTH, o.tileSize);
  TIFFSetField(t, TIFFTAG_TILELENGTH, o.tileSize);
  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, uint16_t(o.channels));
  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, uint16_t(uint8 ? 8 : 32));
  TIFFSetField(t, TIFFTAG_SAMPLEFORMAT,
               uint8 ? SAMPLEFORMAT_UINT : SAMPLEFORMAT_IEEEFP);
  TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  bool rgb = uint8 && o.channels == 3;
  if (!rgb && o.channels > 1) {
    std::vector<uint16_t> extra(o.channels - 1, EXTRASAMPLE_UNSPECIFIED);
    TIFFSetField(t, TIFFTAG_EXTRASAMPLES, uint16_t(extra.size()), extra.data());
  }
  switch (o.compression) {
  case TiffCompression::JPEG:
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_JPEG);
    TIFFSetField(t, TIFFTAG_JPEGQUALITY, o.jpegQuality);
    if (rgb) {
      // YCbCr 4:2:0 with libjpeg doing the conversion: what scanners and
      // libvips write, and what OpenSlide expects.
      TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR);
      TIFFSetField(t, TIFFTAG_YCBCRSUBSAMPLING, 2, 2);
      TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    } else {
      TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    }
    break;
  case TiffCompression::None:
  case TiffCompression::Deflate:
  case TiffCompression::LZW:
  case TiffCompression::Zstd: {
    static const uint16_t codes[] = {COMPRESSION_NONE,
                                     COMPRESSION_ADOBE_DEFLATE, COMPRESSION_LZW,
                                     COMPRESSION_ZSTD};
    TIFFSetField(t, TIFFTAG_COMPRESSION,
                 codes[static_cast<int>(o.compression)]);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC,
                 rgb ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
    if (o.compression != TiffCompression::None)
      TIFFSetField(t, TIFFTAG_PREDICTOR,
                   uint8 ? PREDICTOR_HORIZONTAL : PREDICTOR_FLOATINGPOINT);
    break;
  }
  }
  if (o.mpp > 0) {
    TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_CENTIMETER);
    double downsample = double(o.width) / double(width);
    TIFFSetField(t, TIFFTAG_XRESOLUTION, float(1e4 / (o.mpp * downsample)));
    TIFFSetField(t, TIFFTAG_YRESOLUTION, float(1e4 / (o.mpp * downsample)));
  }
  if (!o.description.empty() && !reduced)
    TIFFSetField(t, TIFFTAG_IMAGEDESCRIPTION, o.description.c_str());
  TIFFSetField(t, TIFFTAG_SOFTWARE, "SSTEP");
}

void PyramidTiffWriter::encodeTile(int level, int64_t col, int64_t row,
                                   const void *data) {
  TIFF *t = tiff_->get();
  uint32_t tile = TIFFComputeTile(t, uint32_t(col * options_.tileSize),
                                  uint32_t(row * options_.tileSize), 0, 0);
  if (TIFFWriteEncodedTile(t, tile, const_cast<void *>(data),
                           tmsize_t(tileBytes())) < 0)
    throw SlideError(ErrorSite{path_, level, col, row},
                     "cannot write tile: " + tiff_->takeErrors());
}

void PyramidTiffWriter::writeTile(int64_t col, int64_t row, const void *data) {
  ErrorSite site{path_, 0, col, row};
  if (finished_)
    throw SlideError(site, "tile written after finish()");
  if (col < 0 || row < 0 || col >= tilesAcross() || row >= tilesDown())
    throw SlideError(site, "tile outside the " + std::to_string(tilesAcross()) +
                               "x" + std::to_string(tilesDown()) + " grid");
  std::size_t index = std::size_t(row * tilesAcross() + col);
  if (written_[index])
    throw SlideError(site, "tile written twice");
  encodeTile(0, col, row, data);
  written_[index] = true;
  ++writtenCount_;
}

void PyramidTiffWriter::writeRows(int64_t y, int64_t rows, const void *data) {
  const int64_t T = options_.tileSize;
  std::size_t rowBytes = std::size_t(options_.width) * pixelBytes();
  if (y != nextRow_ || rows < 0 || y + rows > options_.height)
    throw SlideError(ErrorSite{path_, 0},
                     "rows " + std::to_string(y) + ".." +
                         std::to_string(y + rows) + " do not follow row " +
                         std::to_string(nextRow_) + " within the image");
  if (band_.empty())
    band_.assign(rowBytes * T, 0);
  const auto *src = static_cast<const uint8_t *>(data);
  for (int64_t r = 0; r < rows; ++r, ++nextRow_) {
    std::memcpy(&band_[std::size_t(nextRow_ % T) * rowBytes],
                src + std::size_t(r) * rowBytes, rowBytes);
    if (nextRow_ % T == T - 1 || nextRow_ == options_.height - 1)
      flushBand();
  }
}

void PyramidTiffWriter::flushBand() {
  const int64_t T = options_.tileSize;
  const int64_t row = nextRow_ / T;
  const int64_t bandRows = nextRow_ - row * T + 1;
  std::size_t rowBytes = std::size_t(options_.width) * pixelBytes();
  std::vector<uint8_t> tile(tileBytes(), 0);
  for (int64_t col = 0; col < tilesAcross(); ++col) {
    int64_t x0 = col * T;
    std::size_t bytes =
        std::size_t(std::min(T, options_.width - x0)) * pixelBytes();
    for (int64_t r = 0; r < bandRows; ++r)
      std::memcpy(&tile[std::size_t(r) * T * pixelBytes()],
                  &band_[std::size_t(r) * rowBytes + x0 * pixelBytes()], bytes);
    writeTile(col, row, tile.data());
  }
}

void PyramidTiffWriter::readSourceTile(TiffHandle &src, int level, int64_t col,
                                       int64_t row,
                                       std::vector<uint8_t> &tile) {
  TIFF *t = src.get();
  uint32_t index = TIFFComputeTile(t, uint32_t(col * options_.tileSize),
                                   uint32_t(row * options_.tileSize), 0, 0);
  if (TIFFReadEncodedTile(t, index, tile.data(), tmsize_t(tile.size())) < 0)
    throw SlideError(ErrorSite{partPath_, level, col, row},
                     "cannot re-read tile to build the next level: " +
                         src.takeErrors());
}

void PyramidTiffWriter::buildLevel(int level, int64_t srcW, int64_t srcH) {
  const int64_t T = options_.tileSize;
  const int64_t w = (srcW + 1) / 2, h = (srcH + 1) / 2;
  // The level above is complete on disk: read it through a second handle.
  TiffHandle src(partPath_, "r");
  src.setDirectory(tdir_t(level - 1), ErrorSite{partPath_, level - 1});
  if (options_.compression == TiffCompression::JPEG && options_.channels == 3)
    TIFFSetField(src.get(), TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
  startDirectory(w, h, true);
  const int64_t srcCols = (srcW + T - 1) / T, srcRows = (srcH + T - 1) / T;
  std::vector<uint8_t> quad[4], out(tileBytes());
  for (auto &q : quad)
    q.assign(tileBytes(), 0);
  for (int64_t row = 0; row < (h + T - 1) / T; ++row)
    for (int64_t col = 0; col < (w + T - 1) / T; ++col) {
      for (int q = 0; q < 4; ++q) {
        int64_t sc = 2 * col + (q & 1), sr = 2 * row + (q >> 1);
        if (sc < srcCols && sr < srcRows)
          readSourceTile(src, level - 1, sc, sr, quad[q]);
      }
      int64_t validW = std::min(2 * T, srcW - 2 * col * T);
      int64_t validH = std::min(2 * T, srcH - 2 * row * T);
      if (options_.sampleType == SampleType::UInt8)
        averageBlock(quad, options_.tileSize, options_.channels, validW, validH,
                     out.data());
      else
        averageBlock(quad, options_.tileSize, options_.channels, validW, validH,
                     reinterpret_cast<float *>(out.data()));
      encodeTile(level, col, row, out.data());
    }
  if (!TIFFWriteDirectory(tiff_->get()))
    throw SlideError(ErrorSite{path_, level},
                     "cannot write directory: " + tiff_->takeErrors());
}

void PyramidTiffWriter::finish() {
  if (finished_)
    return;
  if (writtenCount_ != int64_t(written_.size())) {
    std::size_t i = 0;
    while (written_[i])
      ++i;
    throw SlideError(ErrorSite{path_, 0, int64_t(i) % tilesAcross(),
                               int64_t(i) / tilesAcross()},
                     "tile never written (" +
                         std::to_string(written_.size() - writtenCount_) +
                         " missing)");
  }
  if (!TIFFWriteDirectory(tiff_->get()))
    throw SlideError(ErrorSite{path_, 0},
                     "cannot write directory: " + tiff_->takeErrors());
  int64_t w = options_.width, h = options_.height;
  for (int level = 1;
       options_.pyramid && std::max(w, h) > int64_t(options_.tileSize);
       ++level) {
    buildLevel(level, w, h);
    w = (w + 1) / 2;
    h = (h + 1) / 2;
  }
  tiff_.reset(); // TIFFClose flushes
  if (std::rename(partPath_.c_str(), path_.c_str()) != 0)
    throw SlideError(path_, "cannot rename " + partPath_ + " to it");
  finished_ = true;
}

} // namespace sstep::slide
