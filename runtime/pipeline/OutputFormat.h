//===- OutputFormat.h - Spill files into TIFF, HDF5 or .npy -----*- C++ -*-===//
//
// A slide run's image outputs are complete only when every tile is in their
// spill file; then each is converted, by the output's extension, into a
// pyramidal tiled TIFF (viewers open it over the slide), an HDF5 feature map
// (h5py reads it) or a .npy array. The writers create `OUT.part` and rename
// it into place, so an output file exists only when it is whole.
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
#include <optional>
#include <string>

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

/// Writes the image in `spill` to `path` in `format` (not Json).
void convertSpill(const SpillFile &spill, const std::string &path,
                  OutputFormat format, const OutputOptions &options);

/// The tile (or chunk) edge for `channels` samples of `sampleBytes` each:
/// 256, halved while a tile would pass `limitBytes`, down to 16.
int64_t tileEdgeFor(int64_t channels, int64_t sampleBytes, int64_t limitBytes);

} // namespace sstep::pipeline

#endif // SSTEP_RUNTIME_PIPELINE_OUTPUTFORMAT_H
