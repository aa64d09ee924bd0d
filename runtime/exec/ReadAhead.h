//===- ReadAhead.h - Input regions read before the tiles ask ----*- C++ -*-===//
//
// The executor tells a streamed input the regions a stage will read, in
// order (InputSource::expect). A source that reads slowly (JPEG tiles to
// decode, a .npy file on disk) hands its reads to a ReadAhead, which runs
// them on its own thread a bounded few regions ahead, so reading overlaps
// the tiles' arithmetic instead of adding to it. Regions come back in the
// order asked; one not expected (or skipped past) is read at once.
//
// Example: strips reading windows w0, w1, w2, ... with a capacity of 2: while
// the tile of w0 computes, w1 and w2 are read; its read() of w1 returns at
// once and w3 starts.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_EXEC_READAHEAD_H
#define SSTEP_RUNTIME_EXEC_READAHEAD_H

#include "runtime/core/Region.h"
#include "runtime/core/Tensor.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sstep::exec {

class ReadAhead {
public:
  using Load = std::function<Tensor(const Region &)>;
  /// Reads with `load` (called on the read-ahead thread and, for regions
  /// not read ahead, on the caller's), keeping at most `capacity` regions
  /// in hand. The owner declares it after what `load` uses, so that the
  /// thread stops before those go.
  ReadAhead(Load load, size_t capacity);
  ~ReadAhead();
  ReadAhead(const ReadAhead &) = delete;
  ReadAhead &operator=(const ReadAhead &) = delete;

  /// Replaces the regions to read ahead; reading starts at once.
  void expect(const std::vector<Region> &regions);
  /// The region, read ahead when it was expected, else now. A failure of
  /// its read ahead is raised here.
  Tensor read(const Region &region);

  /// Regions served from the read-ahead, and read on the caller's thread.
  int64_t prefetched() const;
  int64_t synchronous() const;

private:
  struct Ready {
    size_t index;
    Tensor tensor;
    std::exception_ptr error;
  };
  void work();

  Load load_;
  size_t capacity_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Region> plan_;
  /// The next plan index the thread reads, and the first the caller may
  /// still ask for.
  size_t next_ = 0, cursor_ = 0;
  /// Bumped by expect(), so a region read for an old plan is dropped.
  uint64_t generation_ = 0;
  std::deque<Ready> ready_;
  bool stopping_ = false;
  int64_t prefetched_ = 0, synchronous_ = 0;
  std::thread thread_;
};

} // namespace sstep::exec

#endif // SSTEP_RUNTIME_EXEC_READAHEAD_H
