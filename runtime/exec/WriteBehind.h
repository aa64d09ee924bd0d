//===- WriteBehind.h - Output writes run behind the tiles -------*- C++ -*-===//
//
// Tiles should not wait for the disk. An output sink queues each block's
// write here and returns; one thread runs the writes in the order queued.
// The queue is bounded in writes, so memory stays bounded when the disk is
// the slower side (the planner counts plan::StreamModel::writeQueue blocks),
// and a failed write is raised on the next push or drain, naming what the
// write named. Destroyed before drain() (the run failed), it drops what is
// still queued.
//
// Example: a .npy output of 256 strips, each block 64 columns by 512
// channels: 512 pwrite calls a block, on the writer's thread, while the
// next strip computes.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_EXEC_WRITEBEHIND_H
#define SSTEP_RUNTIME_EXEC_WRITEBEHIND_H

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace sstep::exec {

class WriteBehind {
public:
  /// At most `queued` writes wait at once (at least one), beside the one
  /// being written.
  explicit WriteBehind(int64_t queued);
  ~WriteBehind();
  WriteBehind(const WriteBehind &) = delete;
  WriteBehind &operator=(const WriteBehind &) = delete;

  /// Queues `write`; waits while the queue is full. Rethrows the failure of
  /// an earlier write (and queues nothing after one).
  void push(std::function<void()> write);
  /// Waits until every queued write has run; rethrows a failure.
  void drain();

  /// Seconds the thread spent writing; seconds push() waited for room.
  double busySeconds() const;
  double blockedSeconds() const;

private:
  void work();
  void rethrow();

  int64_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> queue_;
  /// Whether the thread is running a write it took off the queue.
  bool writing_ = false;
  bool stopping_ = false;
  std::exception_ptr error_;
  double busySeconds_ = 0, blockedSeconds_ = 0;
  std::thread thread_;
};

} // namespace sstep::exec

#endif // SSTEP_RUNTIME_EXEC_WRITEBEHIND_H
