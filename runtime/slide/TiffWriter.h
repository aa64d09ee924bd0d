//===- TiffWriter.h - Pyramidal tiled TIFF output ----------------*- C++
//-*-===//
//
// Writes a tiled TIFF pyramid that OpenSlide, libvips and this reader open:
// level 0 in the first directory, then each reduced level (2x area average)
// as a further directory flagged SUBFILETYPE reduced-image. Level 0 arrives
// as tiles in any order or as rows top to bottom; memory stays independent of
// the slide's height (a band of one tile row for rows, one tile for tiles),
// because reduced levels are built afterwards by re-reading the level above
// from the file being written. Output goes to `path.part`, renamed to `path`
// only when complete, so a crash never leaves a plausible-looking slide.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_TIFFWRITER_H
#define SSTEP_RUNTIME_SLIDE_TIFFWRITER_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sstep::slide {

class TiffHandle;

enum class SampleType { UInt8, Float32 };
enum class TiffCompression { None, Deflate, LZW, Zstd, JPEG };

/// "none", "deflate", "lzw", "zstd", "jpeg"; throws std::invalid_argument.
TiffCompression parseCompression(const std::string &name);

struct TiffWriterOptions {
  int64_t width = 0;
  int64_t height = 0;
  /// UInt8: 1 (grey) or 3 (RGB); Float32: any number of channels.
  int channels = 3;
  SampleType sampleType = SampleType::UInt8;
  /// Tile edge, a multiple of 16 (TIFF's rule).
  uint32_t tileSize = 256;
  TiffCompression compression = TiffCompression::Deflate;
  int jpegQuality = 90;
  enum class BigTiff { Auto, Yes, No } bigTiff = BigTiff::Auto;
  /// Reduced levels until a level fits in one tile.
  bool pyramid = true;
  /// Microns per level-0 pixel (resolution tags); 0 leaves them out.
  double mpp = 0;
  std::string description;
};

class PyramidTiffWriter {
public:
  /// Validates the options and creates `path.part`; throws SlideError.
  PyramidTiffWriter(const std::string &path, const TiffWriterOptions &options);
  /// Without finish(), removes the partial file.
  ~PyramidTiffWriter();

  int64_t tilesAcross() const;
  int64_t tilesDown() const;
  /// Bytes of one full tile: tileSize^2 * channels * sample size.
  std::size_t tileBytes() const;
  std::size_t pixelBytes() const;
  /// Whether BigTIFF was chosen (on request, or by the size estimate).
  bool bigTiff() const { return bigTiff_; }

  /// One level-0 tile, full size even at the image edge (the part beyond the
  /// edge is ignored). Any order; each tile once.
  void writeTile(int64_t col, int64_t row, const void *data);
  /// `rows` full-width rows starting at `y`, which must follow the previous
  /// call's rows; pixels packed.
  void writeRows(int64_t y, int64_t rows, const void *data);
  /// Checks that level 0 is complete, builds the reduced levels, renames.
  void finish();

private:
  void startDirectory(int64_t width, int64_t height, bool reduced);
  void encodeTile(int level, int64_t col, int64_t row, const void *data);
  void flushBand();
  /// Writes level `level` by 2x area-averaging level `level - 1`.
  void buildLevel(int level, int64_t srcWidth, int64_t srcHeight);
  void readSourceTile(TiffHandle &src, int level, int64_t col, int64_t row,
                      std::vector<uint8_t> &tile);

  std::string path_;
  std::string partPath_;
  TiffWriterOptions options_;
  std::unique_ptr<TiffHandle> tiff_;
  bool bigTiff_ = false;
  std::vector<bool> written_;
  int64_t writtenCount_ = 0;
  std::vector<uint8_t> band_;
  int64_t nextRow_ = 0;
  bool finished_ = false;
};

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_TIFFWRITER_H
