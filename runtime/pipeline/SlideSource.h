//===- SlideSource.h - A slide level as a streamed input --------*- C++ -*-===//
//
// The executor reads its input region by region; a slide level is far too
// large to decode whole, so this source decodes each region when asked. It
// knows the regions a stage will read (expect()) and decodes them ahead
// (exec/ReadAhead.h), a bounded few at a time, so JPEG decoding overlaps the
// tiles' arithmetic instead of adding to it.
//
// A pixel becomes (rgb / 255 - mean) / std per channel, in float32.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PIPELINE_SLIDESOURCE_H
#define SSTEP_RUNTIME_PIPELINE_SLIDESOURCE_H

#include "runtime/core/Normalization.h"
#include "runtime/exec/Executor.h"
#include "runtime/exec/ReadAhead.h"
#include "runtime/slide/SlideReader.h"

#include <array>
#include <atomic>
#include <string>

namespace sstep::pipeline {

using sstep::Normalization;

class SlideSource : public exec::InputSource {
public:
  /// Level `level` of `reader` (which must outlive the source), keeping at
  /// most `readAhead` decoded regions in hand.
  SlideSource(const slide::SlideReader &reader, int level,
              Normalization normalization, size_t readAhead = 3);

  Shape shape() const override;
  /// Replaces the regions to read ahead; decoding starts at once.
  void expect(const std::vector<Region> &regions) override {
    ahead_.expect(regions);
  }
  /// The region, decoded ahead when it was expected, else now.
  Tensor read(const Region &region) override { return ahead_.read(region); }

  /// Seconds spent decoding and normalising, on any thread.
  double decodeSeconds() const;
  /// Regions served from the read-ahead, and read synchronously.
  int64_t prefetched() const { return ahead_.prefetched(); }
  int64_t synchronous() const { return ahead_.synchronous(); }

private:
  Tensor load(const Region &region) const;

  const slide::SlideReader &reader_;
  int level_;
  int64_t height_, width_;
  /// Per channel, the input value of each byte.
  std::array<std::array<float, 256>, 3> table_;
  mutable std::atomic<int64_t> decodeNanoseconds_{0};
  /// Last: its thread stops before what it reads with goes.
  exec::ReadAhead ahead_;
};

} // namespace sstep::pipeline

#endif // SSTEP_RUNTIME_PIPELINE_SLIDESOURCE_H
