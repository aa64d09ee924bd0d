//===- SlideSource.cpp - A slide level as a streamed model input ----------===//

#include "runtime/pipeline/SlideSource.h"
#include "runtime/core/BufferPool.h"

#include <chrono>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace sstep::pipeline {
SlideSource::SlideSource(const slide::SlideReader &reader, int level,
                         Normalization normalization, size_t readAhead)
    : reader_(reader), level_(level), height_(reader.level(level).height),
      width_(reader.level(level).width),
      capacity_(std::max<size_t>(1, readAhead)) {
  for (int c = 0; c < 3; ++c)
    table_[size_t(c)] = normalization.table(c);
  thread_ = std::thread([this] { prefetch(); });
}

SlideSource::~SlideSource() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

Shape SlideSource::shape() const { return {1, 3, height_, width_}; }

double SlideSource::decodeSeconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return decodeSeconds_;
}

Tensor SlideSource::load(const Region &region) const {
  auto start = std::chrono::steady_clock::now();
  int64_t h = region.axes[0].size(), w = region.axes[1].size();
  slide::RGBImage rgb =
      reader_.readRegion(level_, region.axes[1].lo, region.axes[0].lo, w, h);
  Tensor t({1, 3, h, w});
  const int64_t plane = h * w;
  const uint8_t *src = rgb.pixels.data();
  float *dst = t.data.data();
  for (int64_t i = 0; i < plane; ++i, src += 3) {
    dst[i] = table_[0][src[0]];
    dst[plane + i] = table_[1][src[1]];
    dst[2 * plane + i] = table_[2][src[2]];
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::lock_guard<std::mutex> lock(mutex_);
  decodeSeconds_ += seconds;
  return t;
}

void SlideSource::prefetch() {
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
      item.tensor = load(region);
    } catch (...) {
      // Raised again on the compute thread when it asks for the region.
      item.error = std::current_exception();
    }
    lock.lock();
    if (generation == generation_ && index >= cursor_) {
      ready_.push_back(std::move(item));
      changed_.notify_all();
    }
  }
}

void SlideSource::expect(const std::vector<Region> &regions) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    plan_ = regions;
    next_ = cursor_ = 0;
    ready_.clear();
    ++generation_;
  }
  changed_.notify_all();
}

Tensor SlideSource::read(const Region &region) {
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
      cursor_ = found; // what the thread decodes from now on is kept
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
  return load(region);
}

} // namespace sstep::pipeline
