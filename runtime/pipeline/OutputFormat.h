//===- OutputFormat.h - Spill files into TIFF, HDF5 or .npy -----*- C++ -*-===//
//
// A slide run's image outputs land in spill files; from there each becomes,
// by the output's extension, a pyramidal tiled TIFF (viewers open it over the
// slide), an HDF5 feature map (h5py reads it) or a .npy array, band by band
// as the tiles fill the bands. The writers create `OUT.part` and rename it
// into place, so an output file exists only when it is whole.
//
// TIFF: float32 samples, or uint8 when a scale is given (value * scale,
// rounded, clamped to 0..255, NaN as 0). All C channels are the samples of
// each pixel (uint8: C must be 1, grey, or 3, RGB). Tiles are 256 pixels, or
// smaller for many channels, so one tile stays within 16 MiB.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PIPELINE_OUTPUTFORMAT_H
#define SSTEP_RUNTIME_PIPELINE_OUTPUTFORMAT_H

#include "runtime/pipeline/SpillFile.h"
#include "runtime/slide/TiffWriter.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sstep::slide {
class Hdf5FeatureWriter;
} // namespace sstep::slide

namespace sstep::pipeline {

enum class OutputFormat { Tiff, Hdf5, Npy, Json };

/// By extension: .tif/.tiff, .h5/.hdf5, .npy, .json; nullopt otherwise.
std::optional<OutputFormat> formatOf(const std::string &path);

struct OutputOptions {
  /// uint8 TIFF samples of value * scale; unset: float32.
  std::optional<float> scale;
  slide::TiffCompression compression = slide::TiffCompression::Deflate;
  /// Microns per output pixel (TIFF resolution tags); 0 when unknown.
  double mpp = 0;
  /// Scalar attributes of the HDF5 dataset.
  std::map<std::string, double> attributes;
};

/// Why `format` cannot hold an output of `channels` channels with
/// `options`, or an empty string.
std::string checkOutput(OutputFormat format, int64_t channels,
                        const OutputOptions &options);

/// Writes an output from its spill file band by band (a row of TIFF tiles or
/// of HDF5 chunks) as soon as a band's pixels are all in, so that encoding
/// overlaps the tiles still computing instead of following them. Bands are
/// encoded in order whatever order the blocks come in, so the file is the
/// same for any tile order and for a resumed run. `.npy` is written whole by
/// finish().
class OutputEncoder {
public:
  /// Creates `path.part` for the image in `spill`. Throws RuntimeError or
  /// slide::SlideError naming the file.
  OutputEncoder(const SpillFile &spill, std::string path, OutputFormat format,
                OutputOptions options);
  ~OutputEncoder();
  OutputEncoder(const OutputEncoder &) = delete;
  OutputEncoder &operator=(const OutputEncoder &) = delete;

  /// `region` of the spill file holds its final values (regions given are
  /// disjoint); encodes the bands this completes.
  void credit(const Region &region);
  /// Encodes the bands left (the spill file is final), completes the file
  /// and renames it into place.
  void finish();
  /// Bands encoded before finish().
  int64_t bandsEarly() const { return early_; }

private:
  void encodeBand(int64_t band);

  const SpillFile &spill_;
  std::string path_;
  OutputFormat format_;
  OutputOptions options_;
  int64_t bandRows_ = 0;
  /// Per band, the pixels (of one channel) in; the first band not encoded.
  std::vector<int64_t> covered_;
  int64_t next_ = 0, early_ = 0;
  std::unique_ptr<slide::PyramidTiffWriter> tiff_;
  std::unique_ptr<slide::Hdf5FeatureWriter> hdf5_;
  std::vector<float> block_;
  std::vector<uint8_t> tile_;
};

/// Writes the image in `spill` to `path` in `format` (not Json) at once.
void convertSpill(const SpillFile &spill, const std::string &path,
                  OutputFormat format, const OutputOptions &options);

/// The tile (or chunk) edge for `channels` samples of `sampleBytes` each:
/// 256, halved while a tile would pass `limitBytes`, down to 16.
int64_t tileEdgeFor(int64_t channels, int64_t sampleBytes, int64_t limitBytes);

/// What writing an image output of `channels` channels in `format` holds
/// whatever the slide's size: its encoder's block and tile and the encoding
/// library's buffers for one tile, raw and compressed (`tiles`, while the
/// tiles run), and, for a TIFF, the pyramid builder's four source tiles and
/// the tile it averages them into, each read or written through the same
/// buffers (`finish`, after them). Measured with heaptrack on ResNet-18's
/// 512-channel float output in tiles of 64² (8 MiB): 34 and 84 MiB; tiles
/// are now at most 4 MiB.
struct EncoderBytes {
  int64_t tiles = 0;
  int64_t finish = 0;
};
EncoderBytes encoderBytes(OutputFormat format, int64_t channels,
                          const OutputOptions &options);

} // namespace sstep::pipeline

#endif // SSTEP_RUNTIME_PIPELINE_OUTPUTFORMAT_H
