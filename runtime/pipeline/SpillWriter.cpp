//===- SpillWriter.cpp - Output blocks written behind the compute ---------===//

#include "runtime/pipeline/SpillWriter.h"
#include "runtime/core/RuntimeError.h"

#include <algorithm>

namespace sstep::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kTilesPerSync = 64;
constexpr auto kSyncInterval = std::chrono::seconds(2);

} // namespace

SpillWriter::SpillWriter(Journal *journal, int64_t queueBytes,
                         size_t queueBlocks)
    : journal_(journal), queueBytes_(queueBytes),
      queueBlocks_(std::max<size_t>(1, queueBlocks)), lastFlush_(Clock::now()) {
  thread_ = std::thread([this] { work(); });
}

SpillWriter::~SpillWriter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void SpillWriter::rethrow() {
  if (error_)
    std::rethrow_exception(error_);
}

void SpillWriter::push(Job job, int64_t bytes) {
  std::unique_lock<std::mutex> lock(mutex_);
  rethrow();
  bool block = job.kind == Job::Kind::Block;
  if (block) {
    // A block larger than the whole bound still goes, alone.
    auto full = [&] {
      return queuedBlocks_ > 0 && (queuedBlocks_ >= queueBlocks_ ||
                                   queuedBytes_ + bytes > queueBytes_);
    };
    if (full()) {
      auto start = Clock::now();
      changed_.wait(lock, [&] { return !full() || error_; });
      blockedSeconds_ +=
          std::chrono::duration<double>(Clock::now() - start).count();
      rethrow();
    }
    queuedBytes_ += bytes;
    ++queuedBlocks_;
  }
  queue_.push_back(std::move(job));
  changed_.notify_all();
}

void SpillWriter::write(SpillFile &file, const Region &region, Tensor block,
                        std::function<void()> then) {
  if (block.rank() != 4 || block.dim(0) != 1 ||
      block.dim(1) != file.channels() ||
      block.dim(2) != region.axes[0].size() ||
      block.dim(3) != region.axes[1].size())
    throw RuntimeError(file.path() + ": a block of shape " +
                       formatShape(block.shape) + " for " +
                       formatRegion(region));
  int64_t bytes = block.size() * 4;
  Job job;
  job.file = &file;
  job.region = region;
  job.block = std::move(block);
  job.then = std::move(then);
  push(std::move(job), bytes);
}

void SpillWriter::call(std::function<void()> task) {
  Job job;
  job.kind = Job::Kind::Call;
  job.then = std::move(task);
  push(std::move(job), 0);
}

void SpillWriter::tileDone(int64_t tile) {
  Job job;
  job.kind = Job::Kind::Tile;
  job.tile = tile;
  push(std::move(job), 0);
}

void SpillWriter::drain() {
  uint64_t ticket;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ticket = ++drainsAsked_;
  }
  Job job;
  job.kind = Job::Kind::Drain;
  push(std::move(job), 0);
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return drainsDone_ >= ticket; });
  rethrow();
}

double SpillWriter::busySeconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return busySeconds_;
}

double SpillWriter::blockedSeconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return blockedSeconds_;
}

void SpillWriter::flush() {
  for (SpillFile *file : dirty_)
    file->sync();
  dirty_.clear();
  if (journal_)
    journal_->record(pending_);
  pending_.clear();
  lastFlush_ = Clock::now();
}

void SpillWriter::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    // With tiles waiting for their record, wake in time to sync them even
    // when no further block comes (slow tiles).
    if (pending_.empty() || error_)
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    else
      changed_.wait_until(lock, lastFlush_ + kSyncInterval,
                          [&] { return stopping_ || !queue_.empty(); });
    if (stopping_)
      return;
    bool due = !pending_.empty() && Clock::now() >= lastFlush_ + kSyncInterval;
    if (queue_.empty() && !due)
      continue;
    std::optional<Job> job;
    if (!queue_.empty()) {
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    auto start = Clock::now();
    std::exception_ptr failed;
    bool flushing = false;
    try {
      if (job && job->kind == Job::Kind::Block && !error_) {
        job->file->write(job->region, job->block.data.data());
        if (std::find(dirty_.begin(), dirty_.end(), job->file) == dirty_.end())
          dirty_.push_back(job->file);
        if (job->then)
          job->then();
      } else if (job && job->kind == Job::Kind::Call && !error_) {
        job->then();
      } else if (job && job->kind == Job::Kind::Tile) {
        pending_.push_back(job->tile);
      }
      if (!error_ && ((job && job->kind == Job::Kind::Drain) || due ||
                      pending_.size() >= kTilesPerSync)) {
        flushing = true;
        flush();
      }
    } catch (...) {
      failed = std::current_exception();
      // The tiles waiting for their record had every block written before
      // this failure (a full disk while encoding, say): synced, they are
      // journaled, so that the run resumes after them. Not when the sync
      // itself failed: what it should have made durable may be lost.
      if (!flushing && !error_) {
        try {
          flush();
        } catch (...) {
        }
      }
    }
    double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    lock.lock();
    busySeconds_ += seconds;
    if (failed && !error_)
      error_ = failed;
    if (job && job->kind == Job::Kind::Block) {
      queuedBytes_ -= job->block.size() * 4;
      --queuedBlocks_;
    }
    if (job && job->kind == Job::Kind::Drain)
      ++drainsDone_;
    changed_.notify_all();
  }
}

void SpillSink::begin(const Shape &shape) {
  if (shape.size() != 4 || shape[0] != 1)
    throw RuntimeError("an output of shape " + formatShape(shape) +
                       " cannot be streamed (it needs 1 x C x H x W)");
  file_ = open_(shape);
  encoder_ = encode_(*file_);
  for (const Skipped &skipped : early_)
    queueSkip(skipped);
  early_.clear();
}

void SpillSink::write(const Region &region, const Tensor &block) {
  if (!file_)
    throw RuntimeError("internal error: a block before begin()");
  OutputEncoder *encoder = encoder_.get();
  writer_.write(*file_, region, block, [encoder, region] {
    if (encoder) // none for a band of a split run
      encoder->credit(region);
  });
}

void SpillSink::queueSkip(const Skipped &s) {
  SpillFile *file = file_.get();
  OutputEncoder *encoder = encoder_.get();
  writer_.call([file, encoder, s] {
    if (s.fill)
      file->fill(s.region, s.value);
    if (encoder)
      encoder->credit(s.region);
  });
}

void SpillSink::skip(const Region &region, bool fill, float value) {
  if (region.empty())
    return;
  if (file_)
    queueSkip({region, fill, value});
  else
    early_.push_back({region, fill, value});
}

void SpillSink::complete() {
  if (!file_)
    throw RuntimeError("internal error: an output never began");
  encoder_->finish();
}

} // namespace sstep::pipeline
