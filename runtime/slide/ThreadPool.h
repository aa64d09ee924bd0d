//===- ThreadPool.h - A fixed pool of worker threads ------------*- C++ -*-===//
//
// Tile decoding is CPU-bound and independent per tile, so a region's missing
// tiles are decoded on a small fixed pool. Tasks must not wait on other tasks
// of the same pool (nothing here does), so no work stealing is needed.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_THREADPOOL_H
#define SSTEP_RUNTIME_SLIDE_THREADPOOL_H

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace sstep::slide {

class ThreadPool {
public:
  /// `threads` workers; 0 means one per hardware thread.
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()); }

  /// Queues `task`; its exception, if any, is rethrown by the future's get().
  std::future<void> submit(std::function<void()> task);

private:
  void work();

  std::vector<std::thread> workers_;
  std::deque<std::packaged_task<void()>> queue_;
  std::mutex mutex_;
  std::condition_variable ready_;
  bool stopping_ = false;
};

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_THREADPOOL_H
