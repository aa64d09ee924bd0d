//===- ScratchImage.cpp - A stored image in a file of the scratch folder --===//

#include "runtime/exec/ScratchImage.h"
#include "runtime/core/Paths.h"
#include "runtime/core/RuntimeError.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <vector>

namespace sstep::exec {

/// Runs of floats between memory and the file, gathered into one
/// preadv/pwritev per contiguous file range (IOV_MAX runs at most).
class ScratchImage::Transfer {
public:
  Transfer(const ScratchImage &image, bool writing)
      : image_(image), writing_(writing) {}

  /// Moves `count` floats at `memory` to or from file offset `at` (bytes).
  void add(float *memory, int64_t count, int64_t at) {
    const size_t bytes = size_t(count) * sizeof(float);
    if (!runs_.empty() && (at != end_ || runs_.size() == size_t(IOV_MAX)))
      flush();
    if (runs_.empty())
      start_ = at;
    if (!runs_.empty() &&
        static_cast<char *>(runs_.back().iov_base) + runs_.back().iov_len ==
            reinterpret_cast<char *>(memory))
      runs_.back().iov_len += bytes; // contiguous in memory too
    else
      runs_.push_back({memory, bytes});
    end_ = at + int64_t(bytes);
  }

  /// Moves what was added and not yet moved.
  void flush() {
    size_t first = 0;
    int64_t at = start_;
    while (first < runs_.size()) {
      ssize_t done = writing_ ? ::pwritev(image_.fd_, &runs_[first],
                                          int(runs_.size() - first), at)
                              : ::preadv(image_.fd_, &runs_[first],
                                         int(runs_.size() - first), at);
      const int error = done < 0 ? errno : ENOSPC;
      if (done < 0 && error == EINTR)
        continue;
      if (done < 0 || (done == 0 && writing_))
        image_.fail((writing_ ? "writing " : "reading ") +
                        std::to_string(end_ - at) + " bytes at offset " +
                        std::to_string(at) + " failed",
                    error);
      if (done == 0) { // past the end of the file: never written, zeros
        for (; first < runs_.size(); ++first)
          std::memset(runs_[first].iov_base, 0, runs_[first].iov_len);
        break;
      }
      at += done;
      // Skip the runs done; a partial one continues where it stopped.
      for (size_t left = size_t(done); left > 0;) {
        iovec &run = runs_[first];
        size_t step = std::min(left, run.iov_len);
        run.iov_base = static_cast<char *>(run.iov_base) + step;
        run.iov_len -= step;
        left -= step;
        if (run.iov_len == 0)
          ++first;
      }
    }
    runs_.clear();
  }

private:
  const ScratchImage &image_;
  bool writing_;
  std::vector<iovec> runs_;
  int64_t start_ = 0, end_ = 0;
};

ScratchImage::ScratchImage(const std::string &folder, std::string name,
                           Shape shape, bool interleaved)
    : folder_(folder.empty() ? "." : folder), name_(std::move(name)),
      shape_(std::move(shape)), interleaved_(interleaved) {
  if (shape_.size() != 4)
    throw RuntimeError("internal error: a scratch image of " +
                       formatShape(shape_));
  std::string path = folder_ + "/.sstep-scratch-XXXXXX";
  std::vector<char> writable(path.begin(), path.end());
  writable.push_back('\0');
  // Not inherited: a forked child would keep the space in use.
  fd_ = ::mkostemp(writable.data(), O_CLOEXEC);
  if (fd_ < 0)
    fail("cannot create a file there", errno);
  ::unlink(writable.data());
}

ScratchImage::ScratchImage(const std::string &path, std::string name,
                           Shape shape, bool interleaved, bool reopen)
    : folder_(folderOf(path)), name_(std::move(name)), shape_(std::move(shape)),
      interleaved_(interleaved) {
  if (shape_.size() != 4)
    throw RuntimeError("internal error: a scratch image of " +
                       formatShape(shape_));
  // Reopened, it must be there: made anew it would read as zeros.
  fd_ = ::open(path.c_str(),
               O_RDWR | O_CLOEXEC | (reopen ? 0 : O_CREAT | O_TRUNC), 0644);
  if (fd_ < 0)
    fail("cannot open " + path, errno);
}

void ScratchImage::sync() {
  if (::fdatasync(fd_) != 0)
    fail("syncing the file failed", errno);
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

int64_t ScratchImage::offsetOf(int64_t n, int64_t c, int64_t y,
                               int64_t x) const {
  const int64_t C = shape_[1], H = shape_[2], W = shape_[3];
  int64_t element = interleaved_ ? ((n * H + y) * W + x) * C + c
                                 : ((n * C + c) * H + y) * W + x;
  return element * int64_t(sizeof(float));
}

int64_t ScratchImage::bytes() const {
  return numElements(shape_) * int64_t(sizeof(float));
}

namespace {

/// dst[c * dc + x * dx] = src[c * sc + x * sx] for c < C, x < width, in
/// blocks that touch a cache line of each row at a time: the transposition
/// between a block's planes (stride 1 along x) and a row of interleaved
/// channels (stride 1 along c), either way.
void transpose(const float *src, int64_t sc, int64_t sx, float *dst, int64_t dc,
               int64_t dx, int64_t C, int64_t width) {
  constexpr int64_t kC = 16, kX = 64;
  for (int64_t c0 = 0; c0 < C; c0 += kC)
    for (int64_t x0 = 0; x0 < width; x0 += kX) {
      const int64_t c1 = std::min(C, c0 + kC), x1 = std::min(width, x0 + kX);
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t x = x0; x < x1; ++x)
          dst[c * dc + x * dx] = src[c * sc + x * sx];
    }
}

} // namespace

void ScratchImage::write(const Tensor &block, const Region &from,
                         const Region &region) {
  const int64_t C = shape_[1], width = region.axes[1].size();
  const int64_t blockH = from.axes[0].size(), blockW = from.axes[1].size();
  const int64_t plane = blockH * blockW,
                bx = region.axes[1].lo - from.axes[1].lo;
  auto *data = const_cast<float *>(block.data.data());
  auto rowOf = [&](int64_t n, int64_t c, int64_t y) {
    return data + (n * C + c) * plane + (y - from.axes[0].lo) * blockW + bx;
  };
  Transfer transfer(*this, /*writing=*/true);
  std::vector<float> row(interleaved_ ? size_t(width * C) : 0);
  for (int64_t n = 0; n < shape_[0]; ++n) {
    if (!interleaved_) {
      // A run per row of each channel, straight from the block; a channel's
      // rows are one range when the block is as wide as the image.
      for (int64_t c = 0; c < C; ++c)
        for (int64_t y = region.axes[0].lo; y <= region.axes[0].hi; ++y)
          transfer.add(rowOf(n, c, y), width,
                       offsetOf(n, c, y, region.axes[1].lo));
      continue;
    }
    // A run per row, all channels: one call, whatever the width.
    for (int64_t y = region.axes[0].lo; y <= region.axes[0].hi; ++y) {
      transpose(rowOf(n, 0, y), plane, 1, row.data(), 1, C, C, width);
      transfer.add(row.data(), width * C, offsetOf(n, 0, y, region.axes[1].lo));
      transfer.flush(); // the row buffer is reused
    }
  }
  transfer.flush();
  written_ += shape_[0] * C * region.pixels() * int64_t(sizeof(float));
}

Tensor ScratchImage::read(const Region &region) const {
  const int64_t C = shape_[1];
  const int64_t height = region.axes[0].size(), width = region.axes[1].size();
  const int64_t plane = height * width;
  Tensor out({shape_[0], C, height, width});
  auto rowOf = [&](int64_t n, int64_t c, int64_t y) {
    return out.data.data() + (n * C + c) * plane + y * width;
  };
  Transfer transfer(*this, /*writing=*/false);
  std::vector<float> row(interleaved_ ? size_t(width * C) : 0);
  for (int64_t n = 0; n < shape_[0]; ++n) {
    if (!interleaved_) {
      for (int64_t c = 0; c < C; ++c)
        for (int64_t y = 0; y < height; ++y)
          transfer.add(
              rowOf(n, c, y), width,
              offsetOf(n, c, region.axes[0].lo + y, region.axes[1].lo));
      continue;
    }
    for (int64_t y = 0; y < height; ++y) {
      transfer.add(row.data(), width * C,
                   offsetOf(n, 0, region.axes[0].lo + y, region.axes[1].lo));
      transfer.flush();
      transpose(row.data(), 1, C, rowOf(n, 0, y), plane, 1, C, width);
    }
  }
  transfer.flush();
  read_ += numElements(out.shape) * int64_t(sizeof(float));
  return out;
}

} // namespace sstep::exec
