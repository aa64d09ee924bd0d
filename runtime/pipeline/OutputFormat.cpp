//===- OutputFormat.cpp - Spill files into TIFF, HDF5 or .npy -------------===//

#include "runtime/pipeline/OutputFormat.h"
#include "runtime/core/Npy.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/slide/Hdf5Writer.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace sstep::pipeline {
namespace {

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

uint8_t toByte(float v, float scale) {
  float s = v * scale;
  if (!(s > 0)) // also NaN
    return 0;
  if (s >= 255)
    return 255;
  return uint8_t(std::lround(s));
}

void writeTiff(const SpillFile &spill, const std::string &path,
               const OutputOptions &options) {
  const int64_t C = spill.channels(), H = spill.height(), W = spill.width();
  const bool bytes = options.scale.has_value();
  slide::TiffWriterOptions o;
  o.width = W;
  o.height = H;
  o.channels = int(C);
  o.sampleType = bytes ? slide::SampleType::UInt8 : slide::SampleType::Float32;
  o.tileSize = uint32_t(tileEdgeFor(C, bytes ? 1 : 4, int64_t(16) << 20));
  o.compression = options.compression;
  o.mpp = options.mpp;
  slide::PyramidTiffWriter writer(path, o);
  const int64_t T = o.tileSize;
  std::vector<float> block(size_t(C * T * T));
  std::vector<uint8_t> tile(writer.tileBytes());
  for (int64_t row = 0; row < writer.tilesDown(); ++row)
    for (int64_t col = 0; col < writer.tilesAcross(); ++col) {
      Region region{{Interval{row * T, std::min(H, (row + 1) * T) - 1},
                     Interval{col * T, std::min(W, (col + 1) * T) - 1}}};
      const int64_t h = region.axes[0].size(), w = region.axes[1].size();
      spill.read(region, block.data());
      // Pixels past the image edge are zero, so equal runs give equal files.
      std::fill(tile.begin(), tile.end(), 0);
      auto *f = reinterpret_cast<float *>(tile.data());
      for (int64_t c = 0; c < C; ++c)
        for (int64_t y = 0; y < h; ++y) {
          const float *src = &block[size_t((c * h + y) * w)];
          size_t at = size_t((y * T) * C + c);
          for (int64_t x = 0; x < w; ++x, at += size_t(C)) {
            if (bytes)
              tile[at] = toByte(src[x], *options.scale);
            else
              f[at] = src[x];
          }
        }
      writer.writeTile(col, row, tile.data());
    }
  writer.finish();
}

void writeHdf5(const SpillFile &spill, const std::string &path,
               const OutputOptions &options) {
  const int64_t C = spill.channels(), H = spill.height(), W = spill.width();
  slide::Hdf5Options o;
  o.chunk = tileEdgeFor(C, 4, int64_t(4) << 20);
  slide::Hdf5FeatureWriter writer(path, C, H, W, o);
  const int64_t T = o.chunk;
  std::vector<float> block(size_t(C * T * T));
  for (int64_t y = 0; y < H; y += T)
    for (int64_t x = 0; x < W; x += T) {
      int64_t h = std::min(T, H - y), w = std::min(T, W - x);
      spill.read({{Interval{y, y + h - 1}, Interval{x, x + w - 1}}},
                 block.data());
      writer.writeRegion(y, x, h, w, block.data());
    }
  for (const auto &[name, value] : options.attributes)
    writer.setAttribute(name, value);
  writer.finish();
}

void writeNpyFromSpill(const SpillFile &spill, const std::string &path) {
  // The spill is already the array's C-order data; map it rather than copy.
  int fd = ::open(spill.path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw RuntimeError(spill.path() + ": cannot open: " + std::strerror(errno));
  void *data =
      ::mmap(nullptr, size_t(spill.bytes()), PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (data == MAP_FAILED)
    throw RuntimeError(spill.path() + ": cannot map: " + std::strerror(errno));
  ::madvise(data, size_t(spill.bytes()), MADV_SEQUENTIAL);
  try {
    writeNpy(path, {1, spill.channels(), spill.height(), spill.width()},
             static_cast<const float *>(data));
  } catch (...) {
    ::munmap(data, size_t(spill.bytes()));
    throw;
  }
  ::munmap(data, size_t(spill.bytes()));
}

} // namespace

std::optional<OutputFormat> formatOf(const std::string &path) {
  if (endsWith(path, ".tif") || endsWith(path, ".tiff"))
    return OutputFormat::Tiff;
  if (endsWith(path, ".h5") || endsWith(path, ".hdf5"))
    return OutputFormat::Hdf5;
  if (endsWith(path, ".npy"))
    return OutputFormat::Npy;
  if (endsWith(path, ".json"))
    return OutputFormat::Json;
  return std::nullopt;
}

int64_t tileEdgeFor(int64_t channels, int64_t sampleBytes, int64_t limitBytes) {
  int64_t edge = 256;
  while (edge > 16 && edge * edge * channels * sampleBytes > limitBytes)
    edge /= 2;
  return edge;
}

std::string checkOutput(OutputFormat format, int64_t channels,
                        const OutputOptions &options) {
  if (format != OutputFormat::Tiff)
    return "";
  if (options.scale && channels != 1 && channels != 3)
    return "uint8 TIFF samples hold 1 (grey) or 3 (RGB) channels, the output "
           "has " +
           std::to_string(channels);
  if (!options.scale && options.compression == slide::TiffCompression::JPEG)
    return "JPEG compression needs uint8 samples";
  return "";
}

void convertSpill(const SpillFile &spill, const std::string &path,
                  OutputFormat format, const OutputOptions &options) {
  switch (format) {
  case OutputFormat::Tiff:
    return writeTiff(spill, path, options);
  case OutputFormat::Hdf5:
    return writeHdf5(spill, path, options);
  case OutputFormat::Npy:
    return writeNpyFromSpill(spill, path);
  case OutputFormat::Json:
    break;
  }
  throw RuntimeError(path + ": a streamed output cannot be written as JSON");
}

} // namespace sstep::pipeline
