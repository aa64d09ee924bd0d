//===- BufferPool.cpp - Large buffers reused from tile to tile ------------===//

#include "runtime/core/BufferPool.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <iterator>
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

void *BufferPool::acquire(size_t bytes, Lifetime lifetime) {
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
    range = lifetime == Lifetime::Lasting ? takeHighest(rangeBytes)
                                          : takeRange(rangeBytes);
    usedBytes += rangeBytes;
    peakUsed = std::max(peakUsed, usedBytes);
  }
  new (range) Header{this, rangeBytes};
  return range + kHeaderBytes;
}

char *BufferPool::chunkOf(char *at) const {
  for (auto [chunk, bytes] : chunks)
    if (at >= chunk && at < chunk + bytes)
      return chunk;
  return nullptr;
}

size_t BufferPool::chunkBytes(char *chunk) const {
  for (auto [start, bytes] : chunks)
    if (start == chunk)
      return bytes;
  return 0;
}

void BufferPool::mapChunk(size_t bytes) {
  size_t chunk = std::max(bytes, kChunkBytes);
  void *p = mmap(nullptr, chunk, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw std::bad_alloc();
  chunks.push_back({static_cast<char *>(p), chunk});
  addFree(static_cast<char *>(p), chunk);
}

char *BufferPool::takeRange(size_t bytes) {
  auto fit = freeBySize.lower_bound({bytes, nullptr});
  if (fit == freeBySize.end()) {
    mapChunk(bytes);
    fit = freeBySize.lower_bound({bytes, nullptr});
  }
  // The lowest range where the request touches no fresh page: a tile's
  // blocks then pack from the bottom as they did in the tile before, and
  // free space gathers above them, where the lasting buffers are. (Best fit
  // first left free ranges between a backward tile's blocks that no later
  // block filled: 62 MiB more pages resident in a ResNet-34 step.)
  char *range = nullptr, *at = nullptr;
  size_t size = 0, fresh = SIZE_MAX;
  for (auto [candidate, candidateSize] : freeByAddress) {
    if (candidateSize < bytes || untouched(candidate, bytes) > 0)
      continue;
    range = at = candidate;
    size = candidateSize;
    fresh = 0;
    break;
  }
  // Else the fewest fresh pages, then best fit (the set's order: size,
  // address), at a range's front or back.
  for (auto it = fit; it != freeBySize.end() && fresh > 0; ++it) {
    auto [candidateSize, candidate] = *it;
    char *back = candidate + candidateSize - bytes;
    for (char *place : {candidate, back}) {
      size_t f = untouched(place, bytes);
      if (f < fresh) {
        fresh = f;
        range = candidate;
        size = candidateSize;
        at = place;
      }
    }
  }
  removeFree(range, size);
  if (at > range)
    addFree(range, size_t(at - range));
  if (at + bytes < range + size)
    addFree(at + bytes, size_t(range + size - (at + bytes)));
  markTouched(at, bytes);
  return at;
}

char *BufferPool::takeHighest(size_t bytes) {
  // Not the fewest fresh pages here: those are often among a tile's freed
  // blocks, which a lasting buffer would split for the next tile.
  for (auto it = freeByAddress.rbegin(); it != freeByAddress.rend(); ++it) {
    auto [range, size] = *it;
    if (size < bytes)
      continue;
    removeFree(range, size);
    if (size > bytes)
      addFree(range, size - bytes);
    char *at = range + size - bytes;
    markTouched(at, bytes);
    char *chunk = chunkOf(at);
    auto [low, fresh] = lowestLasting.emplace(chunk, at);
    if (!fresh)
      low->second = std::min(low->second, at);
    return at;
  }
  mapChunk(bytes);
  return takeHighest(bytes);
}

size_t BufferPool::untouched(char *at, size_t bytes) const {
  char *end = at + bytes;
  size_t covered = 0;
  auto it = touched.upper_bound(at);
  if (it != touched.begin())
    --it;
  for (; it != touched.end() && it->first < end; ++it)
    if (it->second > at)
      covered += size_t(std::min(end, it->second) - std::max(at, it->first));
  return bytes - covered;
}

void BufferPool::markTouched(char *at, size_t bytes) {
  char *lo = at, *hi = at + bytes;
  // Merge with every touched range that overlaps or abuts [lo, hi).
  auto it = touched.upper_bound(lo);
  if (it != touched.begin() && std::prev(it)->second >= lo)
    --it;
  while (it != touched.end() && it->first <= hi) {
    lo = std::min(lo, it->first);
    hi = std::max(hi, it->second);
    touchedBytes -= size_t(it->second - it->first);
    it = touched.erase(it);
  }
  touched[lo] = hi;
  touchedBytes += size_t(hi - lo);
  touchedPeak = std::max(touchedPeak, touchedBytes);
}

void BufferPool::markReturned(char *at, size_t bytes) {
  char *lo = at, *hi = at + bytes;
  auto it = touched.upper_bound(lo);
  if (it != touched.begin() && std::prev(it)->second > lo)
    --it;
  while (it != touched.end() && it->first < hi) {
    auto [start, end] = *it;
    touchedBytes -= size_t(end - start);
    it = touched.erase(it);
    if (start < lo) {
      touched[start] = lo;
      touchedBytes += size_t(lo - start);
    }
    if (end > hi) {
      touched[hi] = end;
      touchedBytes += size_t(end - hi);
    }
  }
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

std::shared_ptr<void> BufferPool::take(size_t bytes, Lifetime lifetime) {
  return std::shared_ptr<void>(acquire(bytes, lifetime),
                               [this](void *p) { release(p); });
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

size_t BufferPool::residentBytes() const {
  std::lock_guard<std::mutex> lock(mutex);
  return touchedBytes;
}

size_t BufferPool::residentPeak() const {
  std::lock_guard<std::mutex> lock(mutex);
  return touchedPeak;
}

size_t BufferPool::returnLastingPages() {
  std::lock_guard<std::mutex> lock(mutex);
  size_t returned = 0;
  for (auto [chunk, low] : lowestLasting) {
    char *end = chunk + chunkBytes(chunk);
    // From the free range holding `low`, if one does, to the chunk's end.
    auto it = freeByAddress.upper_bound(low);
    if (it != freeByAddress.begin())
      --it;
    for (; it != freeByAddress.end() && it->first < end; ++it) {
      // Whole pages: free ranges' bounds and buffers' starts are.
      char *lo = std::max(it->first, low);
      char *hi = std::min(it->first + it->second, end);
      if (hi > lo && madvise(lo, size_t(hi - lo), MADV_DONTNEED) == 0) {
        returned += size_t(hi - lo);
        markReturned(lo, size_t(hi - lo));
      }
    }
  }
  lowestLasting.clear();
  return returned;
}

size_t BufferPool::returnFreePages() {
  std::lock_guard<std::mutex> lock(mutex);
  size_t returned = 0;
  // Free ranges start and end on page boundaries (ranges are whole pages).
  for (auto [range, bytes] : freeByAddress)
    if (madvise(range, bytes, MADV_DONTNEED) == 0) {
      returned += bytes;
      markReturned(range, bytes);
    }
  return returned;
}

namespace {
thread_local BufferPool::Lifetime threadLifetimeValue =
    BufferPool::Lifetime::Tile;
} // namespace

BufferPool::LifetimeScope::LifetimeScope(Lifetime lifetime)
    : before(threadLifetimeValue) {
  threadLifetimeValue = lifetime;
}

BufferPool::LifetimeScope::~LifetimeScope() { threadLifetimeValue = before; }

BufferPool::Lifetime BufferPool::threadLifetime() {
  return threadLifetimeValue;
}

void *pooledAllocate(size_t bytes) {
  if (bytes < kPooledBytes)
    return ::operator new(bytes, std::align_val_t(64));
  return BufferPool::process().acquire(bytes, BufferPool::threadLifetime());
}

void pooledFree(void *p, size_t bytes) {
  if (bytes < kPooledBytes)
    ::operator delete(p, std::align_val_t(64));
  else
    BufferPool::process().release(p);
}

} // namespace sstep
