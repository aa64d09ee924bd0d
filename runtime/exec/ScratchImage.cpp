//===- ScratchImage.cpp - A stored image in a file of the scratch folder --===//

#include "runtime/exec/ScratchImage.h"
#include "runtime/core/RuntimeError.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace sstep::exec {

ScratchImage::ScratchImage(const std::string &folder, std::string name,
                           Shape shape)
    : folder_(folder.empty() ? "." : folder), name_(std::move(name)),
      shape_(std::move(shape)) {
  if (shape_.size() != 4)
    throw RuntimeError("internal error: a scratch image of " +
                       formatShape(shape_));
  std::string path = folder_ + "/.sstep-scratch-XXXXXX";
  std::vector<char> writable(path.begin(), path.end());
  writable.push_back('\0');
  fd_ = ::mkstemp(writable.data());
  if (fd_ < 0)
    fail("cannot create a file there", errno);
  ::unlink(writable.data());
}

ScratchImage::~ScratchImage() {
  if (fd_ >= 0)
    ::close(fd_);
}

void ScratchImage::fail(const std::string &what, int error) const {
  throw RuntimeError("scratch folder " + folder_ + ": " + what + " for '" +
                     name_ + "' (" + formatShape(shape_) +
                     ", stored between stages): " + std::strerror(error) +
                     (error == ENOSPC || error == EFBIG
                          ? " (choose a folder with room with --scratch, or "
                            "keep stored values in memory with --store=memory)"
                          : ""));
}

int64_t ScratchImage::offsetOf(int64_t n, int64_t y, int64_t x) const {
  return (((n * shape_[2] + y) * shape_[3] + x) * shape_[1]) *
         int64_t(sizeof(float));
}

int64_t ScratchImage::bytes() const {
  return numElements(shape_) * int64_t(sizeof(float));
}

void ScratchImage::write(const Tensor &block, const Region &from,
                         const Region &region) {
  const int64_t channels = shape_[1], width = region.axes[1].size();
  const int64_t blockH = from.axes[0].size(), blockW = from.axes[1].size();
  std::vector<float> row(size_t(width * channels));
  for (int64_t n = 0; n < shape_[0]; ++n)
    for (int64_t y = region.axes[0].lo; y <= region.axes[0].hi; ++y) {
      const int64_t by = y - from.axes[0].lo;
      const int64_t bx = region.axes[1].lo - from.axes[1].lo;
      for (int64_t c = 0; c < channels; ++c) {
        const float *src = block.data.data() +
                           ((n * channels + c) * blockH + by) * blockW + bx;
        for (int64_t x = 0; x < width; ++x)
          row[size_t(x * channels + c)] = src[x];
      }
      const char *bytes = reinterpret_cast<const char *>(row.data());
      size_t left = row.size() * sizeof(float);
      int64_t at = offsetOf(n, y, region.axes[1].lo);
      while (left > 0) {
        ssize_t done = ::pwrite(fd_, bytes, left, at);
        if (done < 0 && errno == EINTR)
          continue;
        if (done <= 0)
          fail("writing " + std::to_string(left) + " bytes at offset " +
                   std::to_string(at) + " failed",
               done < 0 ? errno : ENOSPC);
        bytes += done;
        left -= size_t(done);
        at += done;
        written_ += done;
      }
    }
}

Tensor ScratchImage::read(const Region &region) const {
  const int64_t channels = shape_[1];
  const int64_t height = region.axes[0].size(), width = region.axes[1].size();
  Tensor out({shape_[0], channels, height, width});
  std::vector<float> row(size_t(width * channels));
  for (int64_t n = 0; n < shape_[0]; ++n)
    for (int64_t y = 0; y < height; ++y) {
      char *bytes = reinterpret_cast<char *>(row.data());
      size_t left = row.size() * sizeof(float);
      int64_t at = offsetOf(n, region.axes[0].lo + y, region.axes[1].lo);
      while (left > 0) {
        ssize_t done = ::pread(fd_, bytes, left, at);
        if (done < 0 && errno == EINTR)
          continue;
        if (done < 0)
          fail("reading at offset " + std::to_string(at) + " failed", errno);
        if (done == 0) { // past the last write: never written, zeros
          std::memset(bytes, 0, left);
          break;
        }
        bytes += done;
        left -= size_t(done);
        at += done;
        read_ += done;
      }
      for (int64_t c = 0; c < channels; ++c) {
        float *dst =
            out.data.data() + ((n * channels + c) * height + y) * width;
        for (int64_t x = 0; x < width; ++x)
          dst[x] = row[size_t(x * channels + c)];
      }
    }
  return out;
}

} // namespace sstep::exec
