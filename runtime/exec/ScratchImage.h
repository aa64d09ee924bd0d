//===- ScratchImage.h - A stored image in a scratch file --------*- C++ -*-===//
//
// An image kept between stages on disk instead of in memory
// (plan/StoredValues.h). Tiles write their owned blocks as they finish, in
// any order; later tiles read windows that cross those blocks. The file
// holds the image in one of two layouts:
//   planar (NCHW, as memory): each row of each channel of a block is a run
//     moved straight between the block and the file by pwritev/preadv, many
//     runs a call, with no copy; for blocks as wide as the image (the cpu
//     backend's strips), whose rows of a channel are one contiguous range;
//   interleaved (NHWC): a row of a block, all its channels, is one run, so
//     any block costs a call per row, for a transposition in memory; for
//     tiles narrower than the image, where planar runs would be one call
//     per row and channel.
//
// The file is unlinked as soon as it is created: it goes when the image is
// released or the process ends, killed or not, and never shows in the
// folder (on NFS, an open unlinked file shows as .nfsXXXX until closed).
// Pixels no tile wrote read as zeros (the file is sparse). The kernel's
// page cache holds what was recently written or read; it is not the
// process's memory and the kernel reclaims it under pressure.
//
// A checkpointed run (exec/Checkpoint.h) names its files instead, in the
// checkpoint's folder, so that a killed run finds them again; sync() makes
// what was written durable before a checkpoint vouches for it.
//
// Example: a 16384² image of 32 channels is a 32 GiB file; a strip of 32
// rows as wide as the image writes 32 ranges of 2 MiB, one per channel.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_EXEC_SCRATCHIMAGE_H
#define SSTEP_RUNTIME_EXEC_SCRATCHIMAGE_H

#include "runtime/core/Region.h"

#include <string>

namespace sstep::exec {

class ScratchImage {
public:
  /// An image of `shape` (N, C, H, W) named `name` (for errors) in a new
  /// file of `folder`, interleaved or planar. Throws RuntimeError naming
  /// the folder.
  ScratchImage(const std::string &folder, std::string name, Shape shape,
               bool interleaved);
  /// The same in the file at `path`, which stays: emptied, or with
  /// `reopen` kept as an earlier run left it.
  ScratchImage(const std::string &path, std::string name, Shape shape,
               bool interleaved, bool reopen);
  ~ScratchImage();
  ScratchImage(const ScratchImage &) = delete;
  ScratchImage &operator=(const ScratchImage &) = delete;

  /// Writes `block` (which holds `from`) over `region`, inside both and
  /// the image. Throws RuntimeError when the disk is full.
  void write(const Tensor &block, const Region &from, const Region &region);
  /// The image over `region` (inside it), NCHW.
  Tensor read(const Region &region) const;
  /// Makes every write so far durable (fdatasync).
  void sync();
  /// The file's size once every pixel is written.
  int64_t bytes() const;
  const Shape &shape() const { return shape_; }
  bool interleaved() const { return interleaved_; }
  int64_t bytesWritten() const { return written_; }
  int64_t bytesRead() const { return read_; }

private:
  class Transfer;
  [[noreturn]] void fail(const std::string &what, int error) const;
  int64_t offsetOf(int64_t n, int64_t c, int64_t y, int64_t x) const;

  std::string folder_, name_;
  Shape shape_;
  bool interleaved_;
  int fd_ = -1;
  int64_t written_ = 0;
  mutable int64_t read_ = 0;
};

} // namespace sstep::exec

#endif // SSTEP_RUNTIME_EXEC_SCRATCHIMAGE_H
