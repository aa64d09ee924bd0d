//===- SpillWriter.h - Output blocks written behind compute -----*- C++ -*-===//
//
// Tiles should not wait for the disk: their output blocks go to a writer
// thread through a queue bounded in blocks and bytes (so memory stays bounded
// when the disk is the slower side) and land in spill files there. The
// writer also keeps the journal honest: a tile is recorded only after every
// block it produced is written and the spill files are synced. Syncs are
// batched (every 64 tiles or 2 seconds) because an fdatasync per tile would
// cost more than small tiles take to compute.
//
// SpillSink is the executor's side: an OutputSink whose blocks go to one
// spill file through the writer.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PIPELINE_SPILLWRITER_H
#define SSTEP_RUNTIME_PIPELINE_SPILLWRITER_H

#include "runtime/exec/Executor.h"
#include "runtime/pipeline/Journal.h"
#include "runtime/pipeline/OutputFormat.h"
#include "runtime/pipeline/SpillFile.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace sstep::pipeline {

class SpillWriter {
public:
  /// Records finished tiles in `journal` when it is not null.
  explicit SpillWriter(Journal *journal,
                       int64_t queueBytes = int64_t(512) << 20,
                       size_t queueBlocks = 8);
  /// Stops the thread; what is still queued is dropped (the run failed).
  ~SpillWriter();
  SpillWriter(const SpillWriter &) = delete;
  SpillWriter &operator=(const SpillWriter &) = delete;

  /// Queues `block` (1 x C x h x w) for `region` of `file`, then `then` on
  /// the writer's thread; waits while the queue is full. Rethrows an earlier
  /// failure of the writer.
  void write(SpillFile &file, const Region &region, Tensor block,
             std::function<void()> then = {});
  /// Queues `task` to run on the writer's thread, after what is queued.
  void call(std::function<void()> task);
  /// Queues the record of `tile`, after the blocks queued before it.
  void tileDone(int64_t tile);
  /// Waits until everything queued is written, synced and journaled.
  void drain();

  /// Seconds the thread spent writing and syncing; seconds callers waited
  /// for room in the queue.
  double busySeconds() const;
  double blockedSeconds() const;

private:
  struct Job {
    enum class Kind { Block, Call, Tile, Drain } kind = Kind::Block;
    SpillFile *file = nullptr;
    Region region;
    Tensor block;
    /// Runs after the block is written (Block), or alone (Call).
    std::function<void()> then;
    int64_t tile = -1;
  };
  void push(Job job, int64_t bytes);
  void work();
  /// Syncs the files written since the last flush, then journals the tiles.
  void flush();
  void rethrow();

  Journal *journal_;
  int64_t queueBytes_;
  size_t queueBlocks_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> queue_;
  int64_t queuedBytes_ = 0;
  size_t queuedBlocks_ = 0;
  uint64_t drainsAsked_ = 0, drainsDone_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  double busySeconds_ = 0, blockedSeconds_ = 0;

  // The thread's own state.
  std::vector<SpillFile *> dirty_;
  std::vector<int64_t> pending_;
  std::chrono::steady_clock::time_point lastFlush_;

  std::thread thread_;
};

/// An output streamed through a writer into a spill file, and from there by
/// an OutputEncoder into its file as its bands fill. Both are made when the
/// executor announces the output's shape.
class SpillSink : public exec::OutputSink {
public:
  using Open = std::function<std::unique_ptr<SpillFile>(const Shape &)>;
  using Encode =
      std::function<std::unique_ptr<OutputEncoder>(const SpillFile &)>;

  SpillSink(SpillWriter &writer, Open open, Encode encode)
      : writer_(writer), open_(std::move(open)), encode_(std::move(encode)) {}

  void begin(const Shape &shape) override;
  void write(const Region &region, const Tensor &block) override;

  /// A skipped tile's block, already in the spill file (a resumed tile) or
  /// to be set to `value` when `fill` (a tile without tissue).
  void skip(const Region &region, bool fill, float value);
  /// After the writer has drained: encodes what is left and completes the
  /// output file.
  void complete();

  /// The spill file and the encoder; null before begin().
  SpillFile *file() const { return file_.get(); }
  OutputEncoder *encoder() const { return encoder_.get(); }

private:
  struct Skipped {
    Region region;
    bool fill;
    float value;
  };
  void queueSkip(const Skipped &skipped);

  SpillWriter &writer_;
  Open open_;
  Encode encode_;
  std::unique_ptr<SpillFile> file_;
  std::unique_ptr<OutputEncoder> encoder_;
  /// Tiles skipped before the first block announced the shape.
  std::vector<Skipped> early_;
};

} // namespace sstep::pipeline

#endif // SSTEP_RUNTIME_PIPELINE_SPILLWRITER_H
