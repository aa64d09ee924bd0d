//===- BufferPool.cpp - Large buffers reused from tile to tile ------------===//

#include "runtime/core/BufferPool.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <new>

#include <sys/mman.h>

namespace sstep {
namespace {

constexpr size_t kPage = 4096;

/// Address space is mapped in chunks this large (untouched pages cost
/// nothing), so that neighbouring buffers coalesce when freed.
constexpr size_t kChunkBytes = size_t(1) << 30;

size_t roundUp(size_t bytes, size_t step) {
  return (bytes + step - 1) / step * step;
}

} // namespace

BufferPool::~BufferPool() { trim(); }

BufferPool &BufferPool::process() {
  static BufferPool *pool = new BufferPool;
  return *pool;
}

void *BufferPool::acquire(size_t bytes) {
  if (bytes < kPooledBytes) {
    void *small =
        std::aligned_alloc(64, roundUp(std::max<size_t>(bytes, 1), 64));
    if (!small)
      throw std::bad_alloc();
    std::lock_guard<std::mutex> lock(mutex);
    used[small] = 0;
    return small;
  }
  bytes = roundUp(bytes, kPage);
  std::lock_guard<std::mutex> lock(mutex);
  auto fit = freeBySize.lower_bound({bytes, nullptr});
  if (fit == freeBySize.end()) {
    size_t chunk = std::max(bytes, kChunkBytes);
    void *p = mmap(nullptr, chunk, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
      throw std::bad_alloc();
    addFree(static_cast<char *>(p), chunk);
    fit = freeBySize.lower_bound({bytes, nullptr});
  }
  auto [size, buffer] = *fit;
  removeFree(buffer, size);
  if (size > bytes)
    addFree(buffer + bytes, size - bytes);
  used[buffer] = bytes;
  usedBytes += bytes;
  peakUsed = std::max(peakUsed, usedBytes);
  return buffer;
}

void BufferPool::release(void *p) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = used.find(p);
  size_t bytes = it->second;
  used.erase(it);
  if (bytes == 0) {
    std::free(p);
    return;
  }
  usedBytes -= bytes;
  char *buffer = static_cast<char *>(p);
  // Coalesce with the free neighbours.
  auto next = freeByAddress.find(buffer + bytes);
  if (next != freeByAddress.end()) {
    bytes += next->second;
    removeFree(next->first, next->second);
  }
  auto prev = freeByAddress.lower_bound(buffer);
  if (prev != freeByAddress.begin()) {
    --prev;
    if (prev->first + prev->second == buffer) {
      buffer = prev->first;
      bytes += prev->second;
      removeFree(prev->first, prev->second);
    }
  }
  addFree(buffer, bytes);
}

void BufferPool::addFree(char *buffer, size_t bytes) {
  freeByAddress[buffer] = bytes;
  freeBySize.insert({bytes, buffer});
  freeBytes += bytes;
}

void BufferPool::removeFree(char *buffer, size_t bytes) {
  freeByAddress.erase(buffer);
  freeBySize.erase({bytes, buffer});
  freeBytes -= bytes;
}

std::shared_ptr<void> BufferPool::take(size_t bytes) {
  return std::shared_ptr<void>(acquire(bytes), [this](void *p) { release(p); });
}

size_t BufferPool::peak() const {
  std::lock_guard<std::mutex> lock(mutex);
  return peakUsed;
}

void BufferPool::resetPeak() {
  std::lock_guard<std::mutex> lock(mutex);
  peakUsed = usedBytes;
}

size_t BufferPool::inUse() const {
  std::lock_guard<std::mutex> lock(mutex);
  return usedBytes;
}

size_t BufferPool::idle() const {
  std::lock_guard<std::mutex> lock(mutex);
  return freeBytes;
}

void BufferPool::trim() {
  std::lock_guard<std::mutex> lock(mutex);
  for (auto &[buffer, bytes] : freeByAddress)
    madvise(buffer, bytes, MADV_DONTNEED);
}

void *pooledAllocate(size_t bytes) {
  if (bytes < kPooledBytes)
    return ::operator new(bytes, std::align_val_t(64));
  return BufferPool::process().acquire(bytes);
}

void pooledFree(void *p, size_t bytes) {
  if (bytes < kPooledBytes)
    ::operator delete(p, std::align_val_t(64));
  else
    BufferPool::process().release(p);
}

} // namespace sstep
