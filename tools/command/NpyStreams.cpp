//===- NpyStreams.cpp - Tiled runs reading and writing .npy in blocks -----===//

#include "tools/command/NpyStreams.h"

namespace sstep {

plan::StreamModel npyStreamModel(int64_t channels) {
  plan::StreamModel stream;
  stream.sourceTile = {0, 0}; // nothing decoded, nothing cached
  stream.readBytesPerPixel = channels * 4;
  return stream;
}

NpySource::NpySource(const NpyFile &file, size_t readAhead)
    : file(file), ahead(
                      [&file](const Region &r) {
                        return file.readBlock(r.axes[0].lo, r.axes[0].size(),
                                              r.axes[1].lo, r.axes[1].size());
                      },
                      readAhead) {}

// The thread holds one block while it writes it, the queue the others.
NpySink::NpySink(std::string path, int64_t writeQueue, bool resumable,
                 bool resuming)
    : path(std::move(path)), resumable(resumable), resuming(resuming),
      behind(writeQueue - 1) {}

void NpySink::begin(const Shape &shape) {
  out = std::make_unique<NpyWriter>(path, shape, resuming);
  if (resumable)
    out->keepPart();
}

void NpySink::sync() {
  behind.drain();
  if (out)
    out->sync();
}

void NpySink::write(const Region &region, const Tensor &block) {
  // The executor's block is gone once this returns.
  auto held = std::make_shared<Tensor>(block);
  NpyWriter *file = out.get();
  behind.push([file, region, held] {
    file->writeBlock(region.axes[0].lo, region.axes[1].lo, *held);
  });
}

void NpySink::finish() {
  behind.drain();
  out->finish();
}

NpyStreamCounts
countsOf(const std::vector<std::unique_ptr<NpySource>> &sources,
         const std::map<size_t, std::unique_ptr<NpySink>> &sinks) {
  NpyStreamCounts c;
  for (const auto &source : sources) {
    c.reads += source->npy().reads();
    c.readBytes += source->npy().readBytes();
    c.prefetched += source->readAhead().prefetched();
    c.synchronous += source->readAhead().synchronous();
  }
  for (const auto &[index, sink] : sinks) {
    (void)index;
    if (sink->npy()) {
      c.writes += sink->npy()->writes();
      c.writtenBytes += sink->npy()->writtenBytes();
    }
    c.writerBusySeconds += sink->writeBehind().busySeconds();
    c.writerBlockedSeconds += sink->writeBehind().blockedSeconds();
  }
  return c;
}

} // namespace sstep
