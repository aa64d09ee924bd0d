//===- DeviceMemory.h - The CUDA backend's memory: one arena, pinned staging -*-
// C++ -*-===//
//
// All device memory the backend uses comes from one cudaMalloc of its
// budget (Arena.h does the bookkeeping); a request the budget cannot meet
// is an error naming the budget, never a second cudaMalloc. Host <-> device
// copies go through two pinned staging buffers used in turn, so copying the
// next block into one overlaps the transfer of the last out of the other.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CUDA_DEVICEMEMORY_H
#define SSTEP_RUNTIME_CUDA_DEVICEMEMORY_H

#include "runtime/cuda/Arena.h"

#include <cuda_runtime.h>

#include <memory>
#include <string>

namespace sstep::cuda {

class DeviceMemory;

/// A range of the arena, returned to it when the last owner lets go.
class Buffer {
public:
  Buffer(DeviceMemory *owner, uint64_t offset, uint64_t bytes, void *ptr)
      : owner(owner), offset(offset), bytes(bytes), ptr(ptr) {}
  ~Buffer();
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;

  void *data() const { return ptr; }
  uint64_t size() const { return bytes; }

private:
  DeviceMemory *owner;
  uint64_t offset, bytes;
  void *ptr;
};
using BufferRef = std::shared_ptr<Buffer>;

class DeviceMemory {
public:
  /// Takes `capacity` bytes of device memory (0: half of what is free).
  explicit DeviceMemory(uint64_t capacity);
  ~DeviceMemory();
  DeviceMemory(const DeviceMemory &) = delete;
  DeviceMemory &operator=(const DeviceMemory &) = delete;

  /// `bytes` of the arena for `what` (named in the error when the budget
  /// is exhausted).
  BufferRef allocate(uint64_t bytes, const std::string &what);
  /// Like allocate, but null when the arena has no room.
  BufferRef tryAllocate(uint64_t bytes);

  const Arena &arena() const { return arena_; }

  /// A pinned host buffer of at least `bytes`, the one not used last; waits
  /// until the copy that last used it is done.
  void *staging(uint64_t bytes);
  /// Marks the staging buffer staging() returned last as in use by the
  /// copies queued on `stream` so far.
  void stagingUsedBy(cudaStream_t stream);

private:
  friend class Buffer;
  void release(uint64_t offset) { arena_.release(offset); }

  char *base = nullptr;
  Arena arena_;
  struct Staging {
    void *host = nullptr;
    uint64_t bytes = 0;
    cudaEvent_t done = nullptr;
  } stage[2];
  int current = 1;
};

} // namespace sstep::cuda

#endif // SSTEP_RUNTIME_CUDA_DEVICEMEMORY_H
