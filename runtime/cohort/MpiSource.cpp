//===- MpiSource.cpp - Rank 0 hands out a cohort's slides -----------------===//

#include "runtime/cohort/MpiSource.h"

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace sstep::cohort {
namespace {

constexpr int RequestTag = 71, ReplyTag = 72;

/// A worker's request: the outcome of its last slide (slide -1 at first).
struct Request {
  int64_t slide = -1;
  int32_t kind = 0, pad = 0;
  double seconds = 0, megapixels = 0;
};

} // namespace

/// Rank 0's queue, shared by its own worker and the thread that answers
/// the other ranks.
struct MpiSource::Dispatcher {
  std::mutex mutex;
  std::deque<int64_t> queue;
  OutcomeSink sink;
  std::thread thread;
  /// Set by rank 0's main thread when it leaves on an error: the
  /// dispatcher stops making MPI calls, so that the main thread may abort.
  std::atomic<bool> stop{false};

  int64_t pop() {
    std::lock_guard<std::mutex> lock(mutex);
    if (queue.empty())
      return -1;
    int64_t slide = queue.front();
    queue.pop_front();
    return slide;
  }

  /// Answers requests until each of `workers` ranks has been told that
  /// nothing is left.
  void serve(int workers) {
    try {
      answer(workers);
    } catch (const std::exception &error) {
      // An exception may not leave a thread; the other ranks wait on us.
      std::fprintf(stderr, "error: rank 0's dispatcher: %s\n", error.what());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }

  void answer(int workers) {
    using namespace std::chrono_literals;
    while (workers > 0 && !stop) {
      int arrived = 0;
      MPI_Status status;
      MPI_Iprobe(MPI_ANY_SOURCE, RequestTag, MPI_COMM_WORLD, &arrived, &status);
      if (!arrived) {
        std::this_thread::sleep_for(2ms);
        continue;
      }
      Request request;
      MPI_Recv(&request, sizeof request, MPI_BYTE, status.MPI_SOURCE,
               RequestTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (request.slide >= 0) {
        Outcome o;
        o.slide = request.slide;
        o.kind = Outcome::Kind(request.kind);
        o.seconds = request.seconds;
        o.megapixels = request.megapixels;
        std::lock_guard<std::mutex> lock(mutex);
        if (sink)
          sink(o);
      }
      int64_t next = pop();
      MPI_Send(&next, 1, MPI_INT64_T, status.MPI_SOURCE, ReplyTag,
               MPI_COMM_WORLD);
      workers -= next < 0;
    }
  }
};

MpiSource::MpiSource(MpiWorld &world)
    : rank_(world.rank()), size_(world.size()) {
  if (rank_ != 0)
    return;
  dispatcher_ = std::make_unique<Dispatcher>();
}

void MpiSource::start(std::vector<int64_t> order) {
  if (rank_ != 0)
    return;
  dispatcher_->queue.assign(order.begin(), order.end());
  if (size_ > 1)
    dispatcher_->thread =
        std::thread([d = dispatcher_.get(), n = size_ - 1] { d->serve(n); });
}

MpiSource::~MpiSource() {
  // Leaving on an error: the other ranks would wait for this one forever.
  // The dispatcher stops first: MPI calls from two threads at once are not
  // allowed at the SERIALIZED level.
  if (std::uncaught_exceptions() > 0) {
    if (dispatcher_) {
      dispatcher_->stop = true;
      if (dispatcher_->thread.joinable())
        dispatcher_->thread.join();
    }
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  finish();
}

void MpiSource::setSink(OutcomeSink sink) {
  if (!dispatcher_)
    return;
  std::lock_guard<std::mutex> lock(dispatcher_->mutex);
  dispatcher_->sink = std::move(sink);
}

void MpiSource::finish() {
  if (dispatcher_ && dispatcher_->thread.joinable())
    dispatcher_->thread.join();
}

int64_t MpiSource::next(const Outcome *last) {
  if (rank_ == 0)
    return dispatcher_->pop();
  Request request;
  if (last) {
    request.slide = last->slide;
    request.kind = int32_t(last->kind);
    request.seconds = last->seconds;
    request.megapixels = last->megapixels;
  }
  MPI_Send(&request, sizeof request, MPI_BYTE, 0, RequestTag, MPI_COMM_WORLD);
  int64_t next = -1;
  MPI_Recv(&next, 1, MPI_INT64_T, 0, ReplyTag, MPI_COMM_WORLD,
           MPI_STATUS_IGNORE);
  return next;
}

} // namespace sstep::cohort
