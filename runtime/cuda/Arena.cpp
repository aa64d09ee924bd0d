//===- Arena.cpp - Offsets within one device allocation -------------------===//

#include "runtime/cuda/Arena.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace sstep::cuda {

Arena::Arena(uint64_t capacity, uint64_t alignment)
    : capacity_(capacity / alignment * alignment), alignment_(alignment) {
  if (capacity_ > 0)
    free_[0] = capacity_;
}

std::optional<uint64_t> Arena::allocate(uint64_t bytes) {
  uint64_t size = std::max<uint64_t>(
      (bytes + alignment_ - 1) / alignment_ * alignment_, alignment_);
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second < size)
      continue;
    uint64_t offset = it->first, left = it->second - size;
    free_.erase(it);
    if (left > 0)
      free_[offset + size] = left;
    used_[offset] = size;
    inUse_ += size;
    highWater_ = std::max(highWater_, offset + size);
    return offset;
  }
  return std::nullopt;
}

void Arena::release(uint64_t offset) {
  auto it = used_.find(offset);
  if (it == used_.end())
    throw std::logic_error("arena: offset " + std::to_string(offset) +
                           " is not in use");
  uint64_t size = it->second;
  used_.erase(it);
  inUse_ -= size;
  auto next = free_.lower_bound(offset);
  if (next != free_.end() && next->first == offset + size) {
    size += next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == offset) {
      prev->second += size;
      return;
    }
  }
  free_[offset] = size;
}

uint64_t Arena::largestFree() const {
  uint64_t best = 0;
  for (const auto &[offset, size] : free_)
    best = std::max(best, size);
  return best;
}

} // namespace sstep::cuda
