//===- BufferPool.cpp - Large buffers reused from tile to tile ------------===//

#include "runtime/core/BufferPool.h"

#include <algorithm>
#include <atomic>
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

/// Another module's pool this one allocates from (adoptProcessPool); null
/// until adopted, so that adopting orphans no pool of this module's own.
std::atomic<BufferPool *> &adoptedPool() {
  static std::atomic<BufferPool *> pool{nullptr};
  return pool;
}

} // namespace

BufferPool::~BufferPool() {
  for (auto [chunk, bytes] : chunks)
    munmap(chunk, bytes);
}

BufferPool &BufferPool::process() {
  if (BufferPool *adopted = adoptedPool().load())
    return *adopted;
  // Lives as long as the process: buffers may be released from static
  // destructors.
  static BufferPool *own = new BufferPool;
  return *own;
}

void BufferPool::adoptProcessPool(BufferPool &pool) { adoptedPool() = &pool; }

void *BufferPool::acquire(size_t bytes) {
  char *range = nullptr;
  size_t rangeBytes = 0;
  if (bytes < kPooledBytes) {
    range = static_cast<char *>(std::aligned_alloc(
        kHeaderBytes, roundUp(std::max<size_t>(bytes, 1), 64) + kHeaderBytes));
    if (!range)
      throw std::bad_alloc();
  } else {
    rangeBytes = roundUp(bytes + kHeaderBytes, kPage);
    std::lock_guard<std::mutex> lock(mutex);
    range = takeRange(rangeBytes);
    usedBytes += rangeBytes;
    peakUsed = std::max(peakUsed, usedBytes);
  }
  new (range) Header{this, rangeBytes};
  return range + kHeaderBytes;
}

char *BufferPool::takeRange(size_t bytes) {
  auto fit = freeBySize.lower_bound({bytes, nullptr});
  if (fit == freeBySize.end()) {
    size_t chunk = std::max(bytes, kChunkBytes);
    void *p = mmap(nullptr, chunk, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
      throw std::bad_alloc();
    chunks.push_back({static_cast<char *>(p), chunk});
    addFree(static_cast<char *>(p), chunk);
    fit = freeBySize.lower_bound({bytes, nullptr});
  }
  auto [size, range] = *fit;
  removeFree(range, size);
  if (size > bytes)
    addFree(range + bytes, size - bytes);
  return range;
}

void BufferPool::release(void *p) {
  char *range = static_cast<char *>(p) - kHeaderBytes;
  Header header = *reinterpret_cast<Header *>(range);
  if (header.owner != this) {
    // A copy of this library in another shared object (the compiler's
    // module) made it.
    header.owner->release(p);
    return;
  }
  if (header.rangeBytes == 0) {
    std::free(range);
    return;
  }
  std::lock_guard<std::mutex> lock(mutex);
  size_t bytes = header.rangeBytes;
  usedBytes -= bytes;
  char *buffer = range;
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
}

void BufferPool::removeFree(char *buffer, size_t bytes) {
  freeByAddress.erase(buffer);
  freeBySize.erase({bytes, buffer});
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

size_t BufferPool::returnFreePages() {
  std::lock_guard<std::mutex> lock(mutex);
  size_t returned = 0;
  // Free ranges start and end on page boundaries (ranges are whole pages).
  for (auto [range, bytes] : freeByAddress)
    if (madvise(range, bytes, MADV_DONTNEED) == 0)
      returned += bytes;
  return returned;
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
