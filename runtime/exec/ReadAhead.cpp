//===- ReadAhead.cpp - Input regions read before the tiles ask ------------===//

#include "runtime/exec/ReadAhead.h"
#include "runtime/core/BufferPool.h"

#include <algorithm>

namespace sstep::exec {

ReadAhead::ReadAhead(Load load, size_t capacity)
    : load_(std::move(load)), capacity_(std::max<size_t>(1, capacity)) {
  thread_ = std::thread([this] { work(); });
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

int64_t ReadAhead::prefetched() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return prefetched_;
}

int64_t ReadAhead::synchronous() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return synchronous_;
}

void ReadAhead::work() {
  // What this thread reads is for a later tile: apart from the tiles' own.
  BufferPool::LifetimeScope later(BufferPool::Lifetime::Lasting);
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] {
      return stopping_ || (next_ < plan_.size() && ready_.size() < capacity_);
    });
    if (stopping_)
      return;
    size_t index = next_++;
    Region region = plan_[index];
    uint64_t generation = generation_;
    lock.unlock();
    Ready item{index, {}, nullptr};
    try {
      item.tensor = load_(region);
    } catch (...) {
      // Raised again on the caller's thread when it asks for the region.
      item.error = std::current_exception();
    }
    lock.lock();
    if (generation == generation_ && index >= cursor_) {
      ready_.push_back(std::move(item));
      changed_.notify_all();
    }
  }
}

void ReadAhead::expect(const std::vector<Region> &regions) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    plan_ = regions;
    next_ = cursor_ = 0;
    ready_.clear();
    ++generation_;
  }
  changed_.notify_all();
}

Tensor ReadAhead::read(const Region &region) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    // The executor reads in plan order; a short search tolerates regions it
    // skips without scanning the whole plan on every read.
    size_t end = std::min(plan_.size(), cursor_ + capacity_ + 16);
    size_t found = end;
    for (size_t i = cursor_; i < end && found == end; ++i)
      if (plan_[i] == region)
        found = i;
    if (found != end) {
      cursor_ = found; // what the thread reads from now on is kept
      next_ = std::max(next_, found);
      while (true) {
        while (!ready_.empty() && ready_.front().index < found)
          ready_.pop_front();
        if (!ready_.empty())
          break;
        changed_.notify_all(); // room for the thread to go on
        changed_.wait(lock);
      }
      if (ready_.front().index == found) {
        Ready item = std::move(ready_.front());
        ready_.pop_front();
        cursor_ = found + 1;
        ++prefetched_;
        changed_.notify_all();
        if (item.error)
          std::rethrow_exception(item.error);
        return std::move(item.tensor);
      }
    }
    cursor_ = std::max(cursor_, found == end ? cursor_ : found + 1);
    ++synchronous_;
  }
  return load_(region);
}

} // namespace sstep::exec
