//===- TileCache.cpp - A byte-bounded LRU cache of decoded tiles ----------===//

#include "runtime/slide/TileCache.h"

namespace sstep::slide {

TileBuffer TileCache::find(const TileKey &key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void TileCache::setCapacity(std::size_t capacityBytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  capacity_ = capacityBytes;
  while (bytes_ > capacity_ && !lru_.empty()) {
    bytes_ -= lru_.back().second->size();
    index_.erase(lru_.back().first);
    lru_.pop_back();
    ++stats_.evictions;
  }
}

void TileCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.evictions += lru_.size();
  lru_.clear();
  index_.clear();
  bytes_ = 0;
}

void TileCache::insert(const TileKey &key, TileBuffer tile) {
  std::size_t size = tile->size();
  std::lock_guard<std::mutex> lock(mutex_);
  if (size > capacity_)
    return;
  auto it = index_.find(key);
  if (it != index_.end()) {
    // Two readers decoded the same tile at once; keep the first copy.
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  while (bytes_ + size > capacity_ && !lru_.empty()) {
    bytes_ -= lru_.back().second->size();
    index_.erase(lru_.back().first);
    lru_.pop_back();
    ++stats_.evictions;
  }
  lru_.emplace_front(key, std::move(tile));
  index_[key] = lru_.begin();
  bytes_ += size;
}

CacheStats TileCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  CacheStats s = stats_;
  s.bytes = bytes_;
  s.capacity = capacity_;
  return s;
}

} // namespace sstep::slide
