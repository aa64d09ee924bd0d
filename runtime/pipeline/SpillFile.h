//===- SpillFile.h - An output image as raw float32 on disk -----*- C++ -*-===//
//
// Tiles hand over their output blocks as arbitrary rectangles, which match
// neither TIFF tiles nor HDF5 chunks, and a slide's output may not fit in
// memory. So blocks land first in a spill file: float32, C x H x W, C order,
// every pixel at a fixed offset, written with pwrite. Fixed offsets make a
// block's write idempotent, which is what lets a killed run resume: a tile
// rewritten after a crash writes the same bytes to the same place. The file
// is created sparse, so pixels never written read as 0.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PIPELINE_SPILLFILE_H
#define SSTEP_RUNTIME_PIPELINE_SPILLFILE_H

#include "runtime/core/Region.h"

#include <cstdint>
#include <string>

namespace sstep::pipeline {

class SpillFile {
public:
  /// Opens `path` for a C x H x W image: kept as it is when `keep` (a resumed
  /// run), else emptied. Throws RuntimeError naming the file.
  SpillFile(std::string path, int64_t channels, int64_t height, int64_t width,
            bool keep);
  ~SpillFile();
  SpillFile(const SpillFile &) = delete;
  SpillFile &operator=(const SpillFile &) = delete;

  const std::string &path() const { return path_; }
  int64_t channels() const { return channels_; }
  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  int64_t bytes() const { return channels_ * height_ * width_ * 4; }

  /// Stores `block` (C x h x w, the size of `region`) at `region`.
  void write(const Region &region, const float *block);
  /// Reads `region` into `out` (C x h x w).
  void read(const Region &region, float *out) const;
  /// Sets every channel of `region` to `value`.
  void fill(const Region &region, float value);
  /// Makes every write so far durable (fdatasync).
  void sync();
  /// Closes and deletes the file.
  void remove();

private:
  int64_t offset(int64_t c, int64_t y, int64_t x) const {
    return ((c * height_ + y) * width_ + x) * 4;
  }
  void check(const Region &region) const;

  std::string path_;
  int64_t channels_, height_, width_;
  int fd_ = -1;
};

} // namespace sstep::pipeline

#endif // SSTEP_RUNTIME_PIPELINE_SPILLFILE_H
