//===- BufferPool.h - Large buffers reused from tile to tile -----*- C++
//-*-===//
//
// Tile loops ask for the same large sizes tile after tile. A fresh mapping
// each time costs page faults and zeroing (about 3 s per GiB on virtual
// machines like CI's, whose shadow page tables make any change of a
// mapping cost as much), while glibc's heap fragments under blocks of
// varying size interleaved with small long-lived allocations: a ResNet-34
// training step at 2048² held 2.3 GiB of heap for 1.2 GiB in use. The
// process's pool keeps large buffers apart from the heap, in big mapped
// chunks where freed neighbours coalesce, and serves each request from the
// smallest free range that holds it, in place: pages once touched are
// reused at the same address, without a fault. (Moving pages between
// addresses with mremap costs as much as faulting them on such machines.)
//
// Every tensor's data (Tensor.h) and every block of the cpu backend comes
// from the one pool, so what one phase frees (a forward pass's blocks)
// serves the next (a backward pass's tensors).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CORE_BUFFERPOOL_H
#define SSTEP_RUNTIME_CORE_BUFFERPOOL_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

namespace sstep {

/// Buffers this large are mapped on their own and pooled; smaller ones are
/// the heap's.
constexpr size_t kPooledBytes = size_t(256) << 10;

/// Coalesced free ranges of 1 GiB chunks of address space (mapped without
/// reserving memory: untouched pages cost nothing). Freed pages stay
/// resident for the next request, and a request goes to the lowest free
/// range where it touches no page not yet resident; failing that, where it
/// touches the fewest, then to the smallest range that holds it (best
/// fit), at the range's front or its back: what the process holds is the
/// pages ever touched, so reuse comes before fit. (Best fit alone let a
/// U-Net's 16384-wide strips touch 342 MiB of pages for a peak of 237 MiB
/// in use; best fit among resident ranges left holes between a ResNet-34
/// backward tile's blocks, 62 MiB more than lowest first.) Thread-safe.
///
/// Example: a chunk, 64 then 32 MiB taken (at 0 and 64 MiB), the first
/// freed: a 48 MiB request gets [0, 48) (64 MiB is the smallest free range
/// that holds it; its pages were touched: no fault), [48, 64) stays free
/// and coalesces with [64, 96) when the second buffer is freed. Had the
/// 48 MiB range been free but never touched beside a touched 64 MiB one,
/// the 64 MiB one would serve.
class BufferPool {
public:
  BufferPool() = default;
  BufferPool(const BufferPool &) = delete;
  BufferPool &operator=(const BufferPool &) = delete;
  ~BufferPool();

  /// The process's pool; never destroyed, so tensors in static storage may
  /// outlive everything else.
  static BufferPool &process();
  /// Makes `pool` what process() returns in this copy of the library: a
  /// shared object linking its own copy (the compiler's module) allocates
  /// from its loader's pool, so what it frees serves the loader. Call before
  /// the copy allocates.
  static void adoptProcessPool(BufferPool &pool);

  /// How long a buffer is expected to live: `Lasting` ones (rows a tile
  /// keeps for the next, buffers a writer holds across tiles) are placed at
  /// the top of the free space, so that a tile's own blocks, freed by its
  /// end, leave the bottom whole and the next tile finds the same ranges:
  /// its placement repeats, and so do the pages it touches.
  enum class Lifetime { Tile, Lasting };

  /// The lifetime pooledAllocate gives this thread's buffers while it
  /// lives (Tile outside any): code making buffers for later tiles (a
  /// reader's read-ahead, an output's bands) opens a Lasting one. The
  /// thread's lifetime is this copy of the library's: a shared object with
  /// its own copy (the compiler's module) allocates as Tile.
  class LifetimeScope {
  public:
    explicit LifetimeScope(Lifetime lifetime);
    ~LifetimeScope();
    LifetimeScope(const LifetimeScope &) = delete;
    LifetimeScope &operator=(const LifetimeScope &) = delete;

  private:
    Lifetime before;
  };
  static Lifetime threadLifetime();

  /// A 64-byte aligned buffer of at least `bytes`.
  void *acquire(size_t bytes, Lifetime lifetime = Lifetime::Tile);
  /// Gives back a buffer acquire() returned, to the pool that made it: a
  /// header before each buffer names it, so that a tensor made by another
  /// shared object's copy of this library (the compiler's module has its
  /// own) can be freed here.
  void release(void *buffer);
  /// acquire(), given back when the last copy of the pointer goes.
  std::shared_ptr<void> take(size_t bytes, Lifetime lifetime = Lifetime::Tile);

  /// The most bytes in use at once so far, or since resetPeak().
  size_t peak() const;
  void resetPeak();
  /// Bytes in use now.
  size_t inUse() const;
  /// Bytes of the pages ever handed out and not given back: what the pool
  /// holds resident (in use or free), as far as it knows.
  size_t residentBytes() const;
  /// The most resident bytes so far.
  size_t residentPeak() const;
  /// Gives the pages of every free range back to the system (they read as
  /// zeros when next touched) and returns their bytes. For the end of a
  /// phase whose large blocks the next phase will not reuse: a slide run's
  /// tiles before the output's pyramid is built, so that the pages the tiles
  /// held do not stay resident beside the pyramid builder's buffers.
  size_t returnFreePages();
  /// Gives back the free pages of the lasting buffers' part of each chunk
  /// (from the lowest one placed there since the last call to the chunk's
  /// end): for a phase that will not ask for buffers there (a training
  /// step's backward pass, after its forward pass's kept rows).
  size_t returnLastingPages();

private:
  struct Header {
    BufferPool *owner;
    /// The range's bytes, header included; 0: a small buffer from the heap.
    size_t rangeBytes;
  };
  static constexpr size_t kHeaderBytes = 64;

  void mapChunk(size_t bytes);
  /// The chunk holding `at`, and a chunk's bytes.
  char *chunkOf(char *at) const;
  size_t chunkBytes(char *chunk) const;
  char *takeRange(size_t bytes);
  /// The back of the highest free range that holds `bytes`.
  char *takeHighest(size_t bytes);
  void addFree(char *buffer, size_t bytes);
  void removeFree(char *buffer, size_t bytes);
  /// Bytes of [at, at + bytes) not yet touched.
  size_t untouched(char *at, size_t bytes) const;
  void markTouched(char *at, size_t bytes);
  void markReturned(char *at, size_t bytes);

  mutable std::mutex mutex;
  /// Free ranges of the mapped chunks, by address (to coalesce) and by
  /// size (best fit, lowest address first).
  std::map<char *, size_t> freeByAddress;
  std::set<std::pair<size_t, char *>> freeBySize;
  /// The mapped chunks, unmapped with the pool (the process's never is).
  std::vector<std::pair<char *, size_t>> chunks;
  /// The touched pages as disjoint ranges, start to end.
  std::map<char *, char *> touched;
  /// By chunk (its start): the lowest lasting buffer placed there since
  /// returnLastingPages.
  std::map<char *, char *> lowestLasting;
  size_t usedBytes = 0, peakUsed = 0, touchedBytes = 0, touchedPeak = 0;
};

/// The heap's for fewer than kPooledBytes, else BufferPool::process()'s.
void *pooledAllocate(size_t bytes);
void pooledFree(void *p, size_t bytes);

/// std::allocator's twin for large arrays (Tensor's data).
template <class T> struct PooledAllocator {
  using value_type = T;
  PooledAllocator() = default;
  template <class U> PooledAllocator(const PooledAllocator<U> &) {}
  T *allocate(size_t n) {
    return static_cast<T *>(pooledAllocate(n * sizeof(T)));
  }
  void deallocate(T *p, size_t n) { pooledFree(p, n * sizeof(T)); }
  template <class U> bool operator==(const PooledAllocator<U> &) const {
    return true;
  }
  template <class U> bool operator!=(const PooledAllocator<U> &) const {
    return false;
  }
};

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_BUFFERPOOL_H
