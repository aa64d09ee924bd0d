//===- DeviceMemory.cpp - The CUDA backend's memory -----------------------===//

#include "runtime/cuda/DeviceMemory.h"
#include "runtime/cuda/Check.h"

namespace sstep::cuda {
namespace {

uint64_t defaultCapacity() {
  size_t free = 0, total = 0;
  SSTEP_CUDA(cudaMemGetInfo(&free, &total));
  return free / 2;
}

std::string mib(uint64_t bytes) {
  return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB";
}

} // namespace

Buffer::~Buffer() { owner->release(offset); }

DeviceMemory::DeviceMemory(uint64_t capacity)
    : arena_(capacity ? capacity : defaultCapacity()) {
  void *ptr = nullptr;
  cudaError_t status = cudaMalloc(&ptr, arena_.capacity());
  if (status != cudaSuccess)
    throw RuntimeError("CUDA: cannot take the device memory budget of " +
                       mib(arena_.capacity()) + ": " +
                       cudaGetErrorString(status) + " (lower --memory-budget)");
  base = static_cast<char *>(ptr);
  for (Staging &s : stage)
    SSTEP_CUDA(cudaEventCreateWithFlags(&s.done, cudaEventDisableTiming));
}

DeviceMemory::~DeviceMemory() {
  for (Staging &s : stage) {
    if (s.done) {
      cudaEventSynchronize(s.done);
      cudaEventDestroy(s.done);
    }
    if (s.host)
      cudaFreeHost(s.host);
  }
  cudaFree(base);
}

BufferRef DeviceMemory::tryAllocate(uint64_t bytes) {
  std::optional<uint64_t> offset = arena_.allocate(bytes);
  if (!offset)
    return nullptr;
  return std::make_shared<Buffer>(this, *offset, bytes, base + *offset);
}

BufferRef DeviceMemory::allocate(uint64_t bytes, const std::string &what) {
  if (BufferRef buffer = tryAllocate(bytes))
    return buffer;
  throw RuntimeError("the device memory budget of " + mib(arena_.capacity()) +
                     " is exhausted: " + what + " needs " + mib(bytes) + ", " +
                     mib(arena_.inUse()) +
                     " are in use and the largest free range is " +
                     mib(arena_.largestFree()) +
                     " (raise --memory-budget or use a smaller --tile)");
}

void *DeviceMemory::staging(uint64_t bytes) {
  current = 1 - current;
  Staging &s = stage[current];
  SSTEP_CUDA(cudaEventSynchronize(s.done));
  if (s.bytes < bytes) {
    if (s.host)
      SSTEP_CUDA(cudaFreeHost(s.host));
    s.host = nullptr;
    // Grows by half again, so a run of slowly growing blocks reallocates
    // rarely; the tile loop's blocks stop growing after the first tiles.
    s.bytes = bytes + bytes / 2;
    SSTEP_CUDA(cudaHostAlloc(&s.host, s.bytes, cudaHostAllocDefault));
  }
  return s.host;
}

void DeviceMemory::stagingUsedBy(cudaStream_t stream) {
  SSTEP_CUDA(cudaEventRecord(stage[current].done, stream));
}

} // namespace sstep::cuda
