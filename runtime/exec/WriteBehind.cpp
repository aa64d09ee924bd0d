//===- WriteBehind.cpp - Output writes run behind the tiles ---------------===//

#include "runtime/exec/WriteBehind.h"
#include "runtime/core/BufferPool.h"

#include <algorithm>
#include <chrono>

namespace sstep::exec {
namespace {

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

WriteBehind::WriteBehind(int64_t queued)
    : capacity_(std::max<int64_t>(1, queued)) {
  thread_ = std::thread([this] { work(); });
}

WriteBehind::~WriteBehind() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  changed_.notify_all();
  thread_.join();
}

void WriteBehind::rethrow() {
  if (error_)
    std::rethrow_exception(error_);
}

void WriteBehind::push(std::function<void()> write) {
  auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock,
                [&] { return error_ || int64_t(queue_.size()) < capacity_; });
  blockedSeconds_ += since(start);
  rethrow();
  queue_.push_back(std::move(write));
  changed_.notify_all();
}

void WriteBehind::drain() {
  auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return error_ || (queue_.empty() && !writing_); });
  blockedSeconds_ += since(start);
  rethrow();
}

double WriteBehind::busySeconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return busySeconds_;
}

double WriteBehind::blockedSeconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return blockedSeconds_;
}

void WriteBehind::work() {
  // The writes' own buffers (an encoder's) outlive any tile.
  BufferPool::LifetimeScope later(BufferPool::Lifetime::Lasting);
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_)
      return;
    std::function<void()> write = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    changed_.notify_all(); // room in the queue
    lock.unlock();
    auto start = std::chrono::steady_clock::now();
    std::exception_ptr failed;
    try {
      write();
    } catch (...) {
      failed = std::current_exception();
    }
    // Its captures (the block) go now, not when the next write replaces
    // them: at most the queue and the one being written are held.
    write = nullptr;
    double seconds = since(start);
    lock.lock();
    writing_ = false;
    busySeconds_ += seconds;
    if (failed && !error_) {
      error_ = failed;
      queue_.clear();
    }
    changed_.notify_all();
  }
}

} // namespace sstep::exec
