//===- OutputFormat.cpp - Spill files into TIFF, HDF5 or .npy -------------===//

#include "runtime/pipeline/OutputFormat.h"
#include "runtime/core/Npy.h"
#include "runtime/core/Paths.h"
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

uint8_t toByte(float v, float scale) {
  float s = v * scale;
  if (!(s > 0)) // also NaN
    return 0;
  if (s >= 255)
    return 255;
  return uint8_t(std::lround(s));
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

namespace {
/// A TIFF tile's bytes at most: the pyramid builder holds about ten (see
/// encoderBytes), which a slide run's budget counts.
constexpr int64_t kTiffTileLimit = int64_t(4) << 20;
} // namespace

EncoderBytes encoderBytes(OutputFormat format, int64_t channels,
                          const OutputOptions &options) {
  EncoderBytes b;
  if (format == OutputFormat::Tiff) {
    const int64_t sample = options.scale ? 1 : 4;
    const int64_t T = tileEdgeFor(channels, sample, kTiffTileLimit);
    const int64_t block = T * T * channels * 4,
                  tile = T * T * channels * sample;
    // block_, tile_, libtiff's raw and compressed tile buffers.
    b.tiles = block + 3 * tile;
    // Beside those: four source tiles, the averaged tile, and the reading
    // handle's raw and compressed buffers.
    b.finish = b.tiles + 7 * tile;
  } else if (format == OutputFormat::Hdf5) {
    const int64_t T = tileEdgeFor(channels, 4, int64_t(4) << 20);
    const int64_t chunk = T * T * channels * 4;
    // block_, HDF5's chunk cache (1 MiB) and its filter's buffers.
    b.tiles = chunk + (int64_t(1) << 20) + 2 * chunk;
    b.finish = b.tiles;
  }
  return b;
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

OutputEncoder::OutputEncoder(const SpillFile &spill, std::string path,
                             OutputFormat format, OutputOptions options)
    : spill_(spill), path_(std::move(path)), format_(format),
      options_(std::move(options)) {
  const int64_t C = spill.channels(), H = spill.height(), W = spill.width();
  if (format_ == OutputFormat::Json)
    throw RuntimeError(path_ + ": a streamed output cannot be written as JSON");
  if (format_ == OutputFormat::Tiff) {
    const bool bytes = options_.scale.has_value();
    slide::TiffWriterOptions o;
    o.width = W;
    o.height = H;
    o.channels = int(C);
    o.sampleType =
        bytes ? slide::SampleType::UInt8 : slide::SampleType::Float32;
    o.tileSize = uint32_t(tileEdgeFor(C, bytes ? 1 : 4, kTiffTileLimit));
    o.compression = options_.compression;
    o.mpp = options_.mpp;
    tiff_ = std::make_unique<slide::PyramidTiffWriter>(path_, o);
    bandRows_ = o.tileSize;
    tile_.resize(tiff_->tileBytes());
  } else if (format_ == OutputFormat::Hdf5) {
    slide::Hdf5Options o;
    o.chunk = tileEdgeFor(C, 4, int64_t(4) << 20);
    hdf5_ = std::make_unique<slide::Hdf5FeatureWriter>(path_, C, H, W, o);
    bandRows_ = o.chunk;
  }
  if (bandRows_ > 0) {
    covered_.assign(size_t((H + bandRows_ - 1) / bandRows_), 0);
    block_.resize(size_t(C * bandRows_ * bandRows_));
  }
}

OutputEncoder::~OutputEncoder() = default;

void OutputEncoder::credit(const Region &region) {
  if (bandRows_ == 0 || region.empty())
    return;
  const int64_t H = spill_.height(), W = spill_.width();
  for (int64_t b = region.axes[0].lo / bandRows_;
       b <= region.axes[0].hi / bandRows_; ++b) {
    Interval rows{b * bandRows_, std::min(H, (b + 1) * bandRows_) - 1};
    covered_[size_t(b)] +=
        rows.intersect(region.axes[0]).size() * region.axes[1].size();
  }
  while (next_ < int64_t(covered_.size())) {
    Interval rows{next_ * bandRows_, std::min(H, (next_ + 1) * bandRows_) - 1};
    if (covered_[size_t(next_)] < rows.size() * W)
      break;
    encodeBand(next_++);
    ++early_;
  }
}

void OutputEncoder::encodeBand(int64_t band) {
  const int64_t C = spill_.channels(), H = spill_.height(), W = spill_.width();
  const int64_t T = bandRows_, y0 = band * T, h = std::min(T, H - y0);
  for (int64_t x0 = 0, col = 0; x0 < W; x0 += T, ++col) {
    const int64_t w = std::min(T, W - x0);
    spill_.read({{Interval{y0, y0 + h - 1}, Interval{x0, x0 + w - 1}}},
                block_.data());
    if (hdf5_) {
      hdf5_->writeRegion(y0, x0, h, w, block_.data());
      continue;
    }
    // Pixels past the image edge are zero, so equal runs give equal files.
    std::fill(tile_.begin(), tile_.end(), 0);
    auto *f = reinterpret_cast<float *>(tile_.data());
    for (int64_t c = 0; c < C; ++c)
      for (int64_t y = 0; y < h; ++y) {
        const float *src = &block_[size_t((c * h + y) * w)];
        size_t at = size_t((y * T) * C + c);
        for (int64_t x = 0; x < w; ++x, at += size_t(C)) {
          if (options_.scale)
            tile_[at] = toByte(src[x], *options_.scale);
          else
            f[at] = src[x];
        }
      }
    tiff_->writeTile(col, band, tile_.data());
  }
}

void OutputEncoder::finish() {
  if (format_ == OutputFormat::Npy)
    return writeNpyFromSpill(spill_, path_);
  while (next_ < int64_t(covered_.size()))
    encodeBand(next_++);
  if (tiff_)
    tiff_->finish();
  if (hdf5_) {
    for (const auto &[name, value] : options_.attributes)
      hdf5_->setAttribute(name, value);
    hdf5_->finish();
  }
}

void convertSpill(const SpillFile &spill, const std::string &path,
                  OutputFormat format, const OutputOptions &options) {
  OutputEncoder encoder(spill, path, format, options);
  encoder.finish();
}

} // namespace sstep::pipeline
