//===- NpyStreams.h - Tiled runs reading and writing .npy in blocks -*- C++
//-*-===//
//
// sstep-run's tensors on disk, for a tiled run: each tile reads its input
// window from the input file and writes the block it owns into the output
// file, so neither array is in memory whole (a 32768² RGB input is 12 GiB).
// Reads run ahead of the tiles (exec/ReadAhead.h) and writes behind them
// (exec/WriteBehind.h), each on its own thread, bounded by the regions and
// blocks plan::StreamModel counts in the budget.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TOOLS_COMMAND_NPYSTREAMS_H
#define SSTEP_TOOLS_COMMAND_NPYSTREAMS_H

#include "runtime/core/Npy.h"
#include "runtime/exec/Executor.h"
#include "runtime/exec/ReadAhead.h"
#include "runtime/exec/WriteBehind.h"
#include "runtime/plan/StreamModel.h"

#include <map>
#include <memory>
#include <vector>

namespace sstep {

/// What a run's .npy streams hold beside its tiles: `readAhead` windows of
/// `channels` float32 planes, `writeQueue` output blocks.
plan::StreamModel npyStreamModel(int64_t channels);

/// An NCHW .npy input read one tile window at a time, `readAhead` windows
/// ahead of the tiles.
class NpySource : public exec::InputSource {
public:
  NpySource(const NpyFile &file, size_t readAhead);
  Shape shape() const override { return file.shape(); }
  void expect(const std::vector<Region> &regions) override {
    ahead.expect(regions);
  }
  Tensor read(const Region &r) override { return ahead.read(r); }

  const NpyFile &npy() const { return file; }
  const exec::ReadAhead &readAhead() const { return ahead; }

private:
  const NpyFile &file;
  /// Last: its thread stops before the file goes.
  exec::ReadAhead ahead;
};

/// An NCHW output written to `path` one owned block at a time, behind the
/// tiles, at most `writeQueue` blocks held; the file appears when the run
/// finishes.
class NpySink : public exec::OutputSink {
public:
  /// `resumable`: the run keeps checkpoints, so the file's `.part` stays
  /// when the run fails; `resuming`: it goes on from one, and so with the
  /// `.part` a killed run left.
  NpySink(std::string path, int64_t writeQueue, bool resumable = false,
          bool resuming = false);
  void begin(const Shape &shape) override;
  void write(const Region &region, const Tensor &block) override;
  void finish() override;
  /// Makes every block handed over so far durable (before a checkpoint
  /// vouches for it). Rethrows a failed write.
  void sync();

  /// The file's writer once begun (null before), and the thread's.
  const NpyWriter *npy() const { return out.get(); }
  const exec::WriteBehind &writeBehind() const { return behind; }

private:
  std::string path;
  bool resumable, resuming;
  std::unique_ptr<NpyWriter> out;
  /// Last: its thread stops (dropping what is queued) before the writer
  /// goes, which then removes the unfinished file.
  exec::WriteBehind behind;
};

/// What a run's .npy streams did, for --stats: system calls and bytes,
/// windows read ahead or on demand, the writer thread's time and the
/// tiles' wait for it.
struct NpyStreamCounts {
  int64_t reads = 0, readBytes = 0, prefetched = 0, synchronous = 0;
  int64_t writes = 0, writtenBytes = 0;
  double writerBusySeconds = 0, writerBlockedSeconds = 0;
};

NpyStreamCounts
countsOf(const std::vector<std::unique_ptr<NpySource>> &sources,
         const std::map<size_t, std::unique_ptr<NpySink>> &sinks);

} // namespace sstep

#endif // SSTEP_TOOLS_COMMAND_NPYSTREAMS_H
