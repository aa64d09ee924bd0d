//===- Arena.h - Offsets within one device allocation ------------*- C++
//-*-===//
//
// The CUDA backend takes its whole budget of device memory with one
// cudaMalloc when it starts and never calls cudaMalloc again: weights, tile
// blocks, staging and cuDNN's workspace are ranges of that allocation,
// handed out first-fit and merged with their neighbours when released.
// This class is the bookkeeping alone (no CUDA), so it is tested anywhere.
//
// Example: capacity 1024, alignment 256: allocate(100) -> 0, allocate(300)
// -> 256, release(0), allocate(200) -> 0, highWater() == 768.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CUDA_ARENA_H
#define SSTEP_RUNTIME_CUDA_ARENA_H

#include <cstdint>
#include <map>
#include <optional>

namespace sstep::cuda {

class Arena {
public:
  explicit Arena(uint64_t capacity, uint64_t alignment = 256);

  /// The offset of `bytes` free bytes, or nothing when no free range is
  /// large enough.
  std::optional<uint64_t> allocate(uint64_t bytes);
  /// Returns the range at `offset` (from allocate). Throws
  /// std::logic_error for an offset not in use.
  void release(uint64_t offset);

  uint64_t capacity() const { return capacity_; }
  uint64_t inUse() const { return inUse_; }
  /// The furthest end of any range handed out so far.
  uint64_t highWater() const { return highWater_; }
  /// The largest range allocate could hand out now.
  uint64_t largestFree() const;

private:
  uint64_t capacity_, alignment_;
  uint64_t inUse_ = 0, highWater_ = 0;
  std::map<uint64_t, uint64_t> free_; // offset -> size
  std::map<uint64_t, uint64_t> used_; // offset -> size
};

} // namespace sstep::cuda

#endif // SSTEP_RUNTIME_CUDA_ARENA_H
