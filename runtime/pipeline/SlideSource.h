//===- SlideSource.h - A slide level as a streamed input --------*- C++ -*-===//
//
// The executor reads its input region by region; a slide level is far too
// large to decode whole, so this source decodes each region when asked. It
// knows the regions a stage will read (expect()) and decodes them ahead on a
// thread, a bounded few at a time, so JPEG decoding overlaps the tiles'
// arithmetic instead of adding to it.
//
// A pixel becomes (rgb / 255 - mean) / std per channel, in float32.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PIPELINE_SLIDESOURCE_H
#define SSTEP_RUNTIME_PIPELINE_SLIDESOURCE_H

#include "runtime/core/Normalization.h"
#include "runtime/exec/Executor.h"
#include "runtime/slide/SlideReader.h"

#include <array>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

namespace sstep::pipeline {

using sstep::Normalization;

class SlideSource : public exec::InputSource {
public:
  /// Level `level` of `reader` (which must outlive the source), keeping at
  /// most `readAhead` decoded regions in hand.
  SlideSource(const slide::SlideReader &reader, int level,
              Normalization normalization, size_t readAhead = 3);
  ~SlideSource() override;
  SlideSource(const SlideSource &) = delete;
  SlideSource &operator=(const SlideSource &) = delete;

  Shape shape() const override;
  /// Replaces the regions to read ahead; decoding starts at once.
  void expect(const std::vector<Region> &regions) override;
  /// The region, decoded ahead when it was expected, else now.
  Tensor read(const Region &region) override;

  /// Seconds spent decoding and normalising, on any thread.
  double decodeSeconds() const;
  /// Regions served from the read-ahead, and read synchronously.
  int64_t prefetched() const { return prefetched_; }
  int64_t synchronous() const { return synchronous_; }

private:
  struct Ready {
    size_t index;
    Tensor tensor;
    std::exception_ptr error;
  };
  Tensor load(const Region &region) const;
  void prefetch();

  const slide::SlideReader &reader_;
  int level_;
  int64_t height_, width_;
  /// Per channel, the input value of each byte.
  std::array<std::array<float, 256>, 3> table_;
  size_t capacity_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Region> plan_;
  /// The next plan index the thread decodes, and the first the reader may
  /// still ask for.
  size_t next_ = 0, cursor_ = 0;
  /// Bumped by expect(), so a region decoded for an old plan is dropped.
  uint64_t generation_ = 0;
  std::deque<Ready> ready_;
  bool stopping_ = false;
  mutable double decodeSeconds_ = 0;
  int64_t prefetched_ = 0, synchronous_ = 0;
  std::thread thread_;
};

} // namespace sstep::pipeline

#endif // SSTEP_RUNTIME_PIPELINE_SLIDESOURCE_H
