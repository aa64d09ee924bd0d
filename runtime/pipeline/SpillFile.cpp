//===- SpillFile.cpp - An output image as raw float32 on disk -------------===//

#include "runtime/pipeline/SpillFile.h"
#include "runtime/core/RuntimeError.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace sstep::pipeline {
namespace {

std::string why() { return std::strerror(errno); }

} // namespace

SpillFile::SpillFile(std::string path, int64_t channels, int64_t height,
                     int64_t width, bool keep)
    : path_(std::move(path)), channels_(channels), height_(height),
      width_(width) {
  if (channels < 1 || height < 1 || width < 1)
    throw RuntimeError(path_ + ": bad spill image size " +
                       std::to_string(channels) + "x" + std::to_string(height) +
                       "x" + std::to_string(width));
  fd_ = ::open(path_.c_str(),
               O_RDWR | O_CREAT | O_CLOEXEC | (keep ? 0 : O_TRUNC), 0644);
  if (fd_ < 0)
    throw RuntimeError(path_ + ": cannot create the spill file: " + why());
  // Sparse: the disk fills only as blocks arrive.
  if (::ftruncate(fd_, bytes()) != 0)
    throw RuntimeError(path_ + ": cannot size the spill file to " +
                       std::to_string(bytes()) + " bytes: " + why());
}

SpillFile::~SpillFile() {
  if (fd_ >= 0)
    ::close(fd_);
}

void SpillFile::check(const Region &region) const {
  if (region.empty() || !Region::whole({height_, width_}).contains(region))
    throw RuntimeError(path_ + ": block " + formatRegion(region) +
                       " is outside the " + std::to_string(height_) + "x" +
                       std::to_string(width_) + " image");
}

void SpillFile::write(const Region &region, const float *block) {
  check(region);
  const int64_t y0 = region.axes[0].lo, x0 = region.axes[1].lo;
  const int64_t h = region.axes[0].size(), w = region.axes[1].size();
  // Full-width blocks are one run per channel; others one run per row.
  const bool rows = w == width_;
  for (int64_t c = 0; c < channels_; ++c)
    for (int64_t r = 0; r < (rows ? 1 : h); ++r) {
      const char *src = reinterpret_cast<const char *>(block + (c * h + r) * w);
      size_t left = size_t(rows ? h * w : w) * 4;
      off_t at = off_t(offset(c, y0 + r, x0));
      while (left > 0) {
        ssize_t n = ::pwrite(fd_, src, left, at);
        if (n < 0 && errno == EINTR)
          continue;
        if (n <= 0)
          throw RuntimeError(path_ + ": cannot write block " +
                             formatRegion(region) + ": " + why());
        src += n;
        at += n;
        left -= size_t(n);
      }
    }
}

void SpillFile::read(const Region &region, float *out) const {
  check(region);
  const int64_t y0 = region.axes[0].lo, x0 = region.axes[1].lo;
  const int64_t h = region.axes[0].size(), w = region.axes[1].size();
  const bool rows = w == width_;
  for (int64_t c = 0; c < channels_; ++c)
    for (int64_t r = 0; r < (rows ? 1 : h); ++r) {
      char *dst = reinterpret_cast<char *>(out + (c * h + r) * w);
      size_t left = size_t(rows ? h * w : w) * 4;
      off_t at = off_t(offset(c, y0 + r, x0));
      while (left > 0) {
        ssize_t n = ::pread(fd_, dst, left, at);
        if (n < 0 && errno == EINTR)
          continue;
        if (n <= 0)
          throw RuntimeError(path_ + ": cannot read block " +
                             formatRegion(region) + ": " +
                             (n == 0 ? "the file is short" : why()));
        dst += n;
        at += n;
        left -= size_t(n);
      }
    }
}

void SpillFile::fill(const Region &region, float value) {
  check(region);
  std::vector<float> block(size_t(channels_ * region.pixels()), value);
  write(region, block.data());
}

void SpillFile::sync() {
  if (::fdatasync(fd_) != 0)
    throw RuntimeError(path_ + ": cannot sync the spill file: " + why());
}

void SpillFile::remove() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  ::unlink(path_.c_str());
}

} // namespace sstep::pipeline
