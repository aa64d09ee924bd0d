//===- Constants.h - A Program's weights, in memory or in its plan -*- C++
//-*-===//
//
// The constants of a Program compiled in memory are held in memory. Those of
// a Program read from a plan stay in the plan file until something reads
// them, and every read is checked against the CRC-32 the load computed. A
// backend that packs weights into its own layout reads each one once,
// without keeping it (read()), so a run holds every weight once, packed:
// ResNet-18's 45 MiB rather than 90.
//
// Example: Constants c; c.set(3, Tensor({2}, {1, 2})); c.get(3).data[1] is 2;
// c.shape(3) is {2}.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CORE_CONSTANTS_H
#define SSTEP_RUNTIME_CORE_CONSTANTS_H

#include "runtime/core/Tensor.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace sstep {

/// The file constants are read from: `path` (for messages), opened once, the
/// plan starting at byte `base` of it (an executable may carry one).
class ConstantFile {
public:
  /// Opens `path`; throws RuntimeError naming it.
  ConstantFile(const std::string &path, uint64_t base);
  ~ConstantFile();
  ConstantFile(const ConstantFile &) = delete;
  ConstantFile &operator=(const ConstantFile &) = delete;

  /// Reads `size` bytes at `offset` of the plan into `into`.
  void read(uint64_t offset, char *into, uint64_t size) const;
  const std::string &path() const { return path_; }

private:
  std::string path_;
  int fd_ = -1;
  uint64_t base_ = 0;
};

class Constants {
public:
  /// Constant `v`, held in memory.
  void set(int v, Tensor tensor);
  /// Constant `v`, sharing `tensor` (not copied) with its other holders.
  void set(int v, std::shared_ptr<const Tensor> tensor);
  /// Constant `v` of `shape`: the bytes at `offset` of `file`'s plan, whose
  /// CRC-32 is `crc`.
  void setInFile(int v, Shape shape, std::shared_ptr<const ConstantFile> file,
                 uint64_t offset, uint32_t crc);

  bool contains(int v) const { return entries_.count(v) != 0; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  /// Every constant's shape, by value id.
  const std::map<int, Shape> &shapes() const { return shapes_; }
  /// Constant `v`'s shape; throws RuntimeError when `v` is no constant.
  const Shape &shape(int v) const;
  /// The bytes of all constants' data.
  int64_t bytes() const;

  /// Constant `v`'s data, read from the plan the first time and then kept.
  const Tensor &get(int v) const;
  /// Constant `v`'s data for one use: the tensor in memory when there is one,
  /// else read from the plan and dropped with the last pointer.
  std::shared_ptr<const Tensor> read(int v) const;
  /// CRC-32 of constant `v`'s data, without reading a plan's data again.
  uint32_t crc(int v) const;

private:
  struct Entry {
    std::shared_ptr<const ConstantFile> file;
    uint64_t offset = 0;
    /// The data once in memory; shared by copies of the Program.
    mutable std::shared_ptr<const Tensor> tensor;
    mutable uint32_t crc = 0;
    mutable bool hasCrc = false;
  };
  const Entry &entry(int v) const;
  std::shared_ptr<const Tensor> load(int v, const Entry &e) const;

  std::map<int, Entry> entries_;
  std::map<int, Shape> shapes_;
  /// Guards the entries' mutable parts: kernels may read constants from
  /// several threads.
  std::shared_ptr<std::mutex> mutex_ = std::make_shared<std::mutex>();
};

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_CONSTANTS_H
