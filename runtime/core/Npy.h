//===- Npy.h - NumPy .npy files of float32 tensors --------------*- C++ -*-===//
//
// The exchange format with Python for small tensors (NCHW inputs, outputs,
// test vectors): little-endian float32, C order, format versions 1 and 2.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CORE_NPY_H
#define SSTEP_RUNTIME_CORE_NPY_H

#include "runtime/core/Tensor.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace sstep {

/// Writes `data` (product of `shape` floats) to `path` through `path.part`.
/// Throws RuntimeError naming the file.
void writeNpy(const std::string &path, const std::vector<int64_t> &shape,
              const float *data);

/// Reads a '<f4' C-order array; anything else throws RuntimeError
/// naming the file and why.
Tensor readNpy(const std::string &path);

/// An open .npy file read a block at a time, so that a large NCHW input
/// never has to be in memory whole (the tiles read their windows from it).
class NpyFile {
public:
  /// Opens and checks the header as readNpy does, and that the data is all
  /// there. Throws RuntimeError naming the file.
  explicit NpyFile(const std::string &path);
  ~NpyFile();
  NpyFile(const NpyFile &) = delete;
  NpyFile &operator=(const NpyFile &) = delete;

  const std::string &path() const { return path_; }
  const std::vector<int64_t> &shape() const { return shape_; }
  /// The whole array.
  Tensor readAll() const;
  /// Rows [row, row + rows) and columns [col, col + cols) of a rank-4
  /// array, all of N and C: one read per (n, c, row), or per (n, c) when
  /// the block is as wide as the array. Safe from several threads.
  Tensor readBlock(int64_t row, int64_t rows, int64_t col, int64_t cols) const;

  /// read calls made, and the bytes they returned.
  int64_t reads() const { return reads_; }
  int64_t readBytes() const { return readBytes_; }

private:
  void readAt(int64_t element, int64_t count, float *into) const;

  mutable std::atomic<int64_t> reads_{0}, readBytes_{0};

  std::string path_;
  std::vector<int64_t> shape_;
  int64_t dataOffset_ = 0;
  int fd_ = -1;
};

/// A rank-4 .npy file written a block at a time, so that a large output is
/// never in memory whole: `path.part` holds the header and the array's full
/// size from the start, blocks land in place, and finish() renames it to
/// `path`. Dropped unfinished (an error), the `.part` is removed, unless
/// it is kept for a rerun to resume (keepPart()).
class NpyWriter {
public:
  /// Creates `path.part` for an array of `shape` (rank 4); with `reopen`,
  /// a `path.part` already there with this array's header and size (a
  /// killed run's, whose blocks a checkpoint vouches for) is opened as it
  /// is. Throws RuntimeError naming the file.
  NpyWriter(const std::string &path, const std::vector<int64_t> &shape,
            bool reopen = false);
  ~NpyWriter();
  NpyWriter(const NpyWriter &) = delete;
  NpyWriter &operator=(const NpyWriter &) = delete;

  /// Writes `block` (all of N and C) with its top left corner at (`row`,
  /// `col`); one write per (n, c, row), or per (n, c) when the block is as
  /// wide as the array.
  void writeBlock(int64_t row, int64_t col, const Tensor &block);
  /// Completes the file and renames it into place.
  void finish();
  /// Makes the blocks written so far durable (before a checkpoint vouches
  /// for them). Throws RuntimeError naming the file.
  void sync();
  /// Whether `path.part` is there with the header and size of an array of
  /// `shape`: what the constructor with `reopen` goes on with.
  static bool partHolds(const std::string &path,
                        const std::vector<int64_t> &shape);
  /// Dropped unfinished, leaves the `.part` for a rerun to resume.
  void keepPart() { keep_ = true; }

  /// write calls made, and the bytes they wrote.
  int64_t writes() const { return writes_; }
  int64_t writtenBytes() const { return writtenBytes_; }

private:
  std::atomic<int64_t> writes_{0}, writtenBytes_{0};
  std::string path_, part_;
  std::vector<int64_t> shape_;
  int64_t dataOffset_ = 0;
  int fd_ = -1;
  bool keep_ = false;
};

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_NPY_H
