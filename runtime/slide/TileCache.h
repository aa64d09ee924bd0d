//===- TileCache.h - A byte-bounded LRU cache of decoded tiles --*- C++ -*-===//
//
// Neighbouring regions of a tiled CNN pass overlap by their halos, so the same
// tiles are asked for again soon after; decoding them once saves most of the
// JPEG work. The bound is in bytes because tile sizes differ between slides.
// Tiles are shared immutable buffers: an evicted tile stays valid for a reader
// still copying from it.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_TILECACHE_H
#define SSTEP_RUNTIME_SLIDE_TILECACHE_H

#include "runtime/slide/SlideReader.h"

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace sstep::slide {

using TileBuffer = std::shared_ptr<const std::vector<uint8_t>>;

struct TileKey {
  int level;
  int64_t col;
  int64_t row;
  bool operator==(const TileKey &o) const {
    return level == o.level && col == o.col && row == o.row;
  }
};

struct TileKeyHash {
  std::size_t operator()(const TileKey &k) const {
    uint64_t h = static_cast<uint64_t>(k.level) * 0x9E3779B97F4A7C15ull;
    h ^= static_cast<uint64_t>(k.col) + 0x632BE59BD9B4E019ull + (h << 6);
    h ^= static_cast<uint64_t>(k.row) + 0x85EBCA77C2B2AE63ull + (h >> 2);
    return static_cast<std::size_t>(h);
  }
};

class TileCache {
public:
  explicit TileCache(std::size_t capacityBytes) : capacity_(capacityBytes) {}

  /// The cached tile, or null; a hit makes the tile the most recently used.
  TileBuffer find(const TileKey &key);
  /// Caches `tile`, evicting the least recently used tiles to stay within the
  /// bound; a tile larger than the whole bound is not kept.
  void insert(const TileKey &key, TileBuffer tile);
  CacheStats stats() const;
  /// Changes the bound, evicting down to it.
  void setCapacity(std::size_t capacityBytes);
  /// Evicts every tile; the bound stays.
  void clear();

private:
  using Entry = std::pair<TileKey, TileBuffer>;
  std::size_t capacity_;
  std::size_t bytes_ = 0;
  std::list<Entry> lru_; // front = most recently used
  std::unordered_map<TileKey, std::list<Entry>::iterator, TileKeyHash> index_;
  mutable std::mutex mutex_;
  CacheStats stats_;
};

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_TILECACHE_H
