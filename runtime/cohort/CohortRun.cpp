//===- CohortRun.cpp - One model over every slide of a cohort -------------===//

#include "runtime/cohort/CohortRun.h"
#include "runtime/cohort/Lease.h"
#include "runtime/pipeline/Journal.h"
#include "runtime/pipeline/SlideRun.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <thread>
#include <unistd.h>

namespace sstep::cohort {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Touches a lease every `period` seconds while a slide runs.
class Heartbeat {
public:
  Heartbeat(Lease &lease, double period, std::FILE *log, std::string tool)
      : thread_([this, &lease, period, log, tool] {
          std::unique_lock<std::mutex> lock(mutex_);
          auto step = std::chrono::duration<double>(period);
          while (!stop_.wait_for(lock, step, [this] { return stopping_; }))
            if (!lease.heartbeat() && !warned_) {
              warned_ = true;
              std::fprintf(log,
                           "%s: warning: %s was taken over by another "
                           "process (its heartbeat was late)\n",
                           tool.c_str(), lease.path().c_str());
            }
        }) {}
  ~Heartbeat() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    stop_.notify_all();
    thread_.join();
  }

private:
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false, warned_ = false;
  std::thread thread_;
};

std::string clockText(double seconds) {
  int64_t s = int64_t(seconds + 0.5);
  char text[32];
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", (long long)(s / 3600),
                (long long)(s / 60 % 60), (long long)(s % 60));
  return text;
}

/// Progress of the whole cohort as the leader hears of it.
class Progress {
public:
  Progress(const CohortJob &job)
      : job_(job), left_(job.manifest->slides.size()),
        remaining_(std::accumulate(job.megapixels.begin(), job.megapixels.end(),
                                   0.0)) {}

  void note(const Outcome &o) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (o.slide < 0 || size_t(o.slide) >= job_.manifest->slides.size())
      return;
    --left_;
    remaining_ -= job_.megapixels[size_t(o.slide)];
    switch (o.kind) {
    case Outcome::Done:
      // In the costs' units (tissue megapixels under a mask), as the ETA.
      ++done_, megapixels_ += job_.megapixels[size_t(o.slide)];
      break;
    case Outcome::Finished:
      ++done_;
      return; // found done: nothing to say
    case Outcome::Failed:
      ++failed_;
      break;
    case Outcome::GaveUp:
      ++failed_;
      return;
    case Outcome::Busy:
      ++busy_;
      return;
    }
    if (!job_.progress)
      return;
    double elapsed = secondsSince(start_);
    double rate = elapsed > 0 ? megapixels_ / elapsed : 0;
    const ManifestEntry &e = job_.manifest->slides[size_t(o.slide)];
    std::string eta =
        rate > 0 ? ", ETA " + clockText(std::max(0.0, remaining_) / rate) : "";
    std::string busy =
        busy_ ? ", " + std::to_string(busy_) + " run elsewhere" : "";
    std::fprintf(
        job_.log,
        "%s: cohort %lld/%zu done, %lld failed, %lld left%s, %.1f "
        "MP/s%s (%s %s in %.1f s)\n",
        job_.tool.c_str(), (long long)done_, job_.manifest->slides.size(),
        (long long)failed_, (long long)(left_), busy.c_str(), rate, eta.c_str(),
        e.id.c_str(), o.kind == Outcome::Done ? "done" : "failed", o.seconds);
    std::fflush(job_.log);
  }

private:
  const CohortJob &job_;
  std::mutex mutex_;
  Clock::time_point start_ = Clock::now();
  int64_t done_ = 0, failed_ = 0, busy_ = 0, left_;
  double megapixels_ = 0, remaining_;
};

/// The slide was taken over by another process while this one ran it.
struct LeaseLost : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bool allExist(const std::vector<std::string> &paths) {
  for (const std::string &p : paths)
    if (::access(p.c_str(), F_OK) != 0)
      return false;
  return true;
}

/// What an earlier run left for `index` makes it unnecessary to run now.
/// A failure recorded since `startedAt`, or in this launch (by a worker
/// beside this one), is not retried in this run either.
std::optional<Outcome::Kind> settled(const CohortJob &job, size_t index,
                                     const std::string &fingerprint,
                                     double startedAt) {
  const ManifestEntry &e = job.manifest->slides[index];
  std::optional<SlideRecord> r = job.state->read(e.id);
  if (!r || r->fingerprint != fingerprint)
    return std::nullopt;
  if (r->status == SlideRecord::Status::Done && allExist(job.outputs[index]))
    return Outcome::Finished;
  if (r->status == SlideRecord::Status::Failed &&
      (r->attempts >= job.maxAttempts || r->finishedAt >= startedAt ||
       (!job.runId.empty() && r->runId == job.runId)))
    return Outcome::GaveUp;
  return std::nullopt;
}

/// Claims, runs and records slide `index`.
Outcome runOne(const CohortJob &job, size_t index, const SlideRunner &run,
               double startedAt) {
  const ManifestEntry &e = job.manifest->slides[index];
  Outcome o;
  o.slide = int64_t(index);
  std::string fingerprint = slideFingerprint(job, index);
  if (auto kind = settled(job, index, fingerprint, startedAt)) {
    o.kind = *kind;
    return o;
  }
  std::unique_ptr<Lease> lease =
      Lease::claim(job.state->leasePath(e.id), job.staleSeconds);
  if (!lease) {
    o.kind = Outcome::Busy;
    return o;
  }
  // Another process may have finished it between our look and our claim.
  if (auto kind = settled(job, index, fingerprint, startedAt)) {
    o.kind = *kind;
    return o;
  }
  SlideRecord r;
  if (std::optional<SlideRecord> before = job.state->read(e.id))
    r.attempts = before->fingerprint == fingerprint ? before->attempts : 0;
  r.id = e.id;
  r.slide = e.slide;
  r.fingerprint = fingerprint;
  r.outputs = job.outputs[index];
  r.runId = job.runId;
  r.host = LeaseOwner::self().host;
  r.pid = int64_t(::getpid());
  r.attempts += 1;
  r.status = SlideRecord::Status::Running;
  job.state->write(r);
  Clock::time_point start = Clock::now();
  // Another process that judged the lease stale now runs the slide: stop,
  // and leave the record to it.
  auto checkpoint = [&lease, &e] {
    if (lease->lost())
      throw LeaseLost(e.id + ": taken over by another process");
  };
  try {
    Heartbeat beat(*lease, job.heartbeatSeconds, job.log, job.tool);
    SlideRunResult result = run(e, job.outputs[index], checkpoint);
    checkpoint();
    r.status = SlideRecord::Status::Done;
    r.megapixels = result.megapixels;
    r.tilesResumed = result.tilesResumed;
  } catch (const LeaseLost &) {
    o.kind = Outcome::Busy;
    return o;
  } catch (const std::exception &error) {
    r.status = SlideRecord::Status::Failed;
    r.error = error.what();
  }
  r.seconds = secondsSince(start);
  r.finished = utcTimestamp();
  r.finishedAt = unixSeconds();
  job.state->write(r);
  o.kind =
      r.status == SlideRecord::Status::Done ? Outcome::Done : Outcome::Failed;
  o.seconds = r.seconds;
  o.megapixels = r.megapixels;
  return o;
}

} // namespace

std::vector<int64_t> largestFirst(const std::vector<double> &cost) {
  std::vector<int64_t> order(cost.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    double ca = cost[size_t(a)], cb = cost[size_t(b)];
    return ca != cb ? ca > cb : a < b;
  });
  return order;
}

std::string slideFingerprint(const CohortJob &job, size_t index) {
  const ManifestEntry &e = job.manifest->slides[index];
  pipeline::Fingerprint f;
  f.add(job.commandFingerprint);
  pipeline::addFile(f, e.slide);
  if (!e.mask.empty())
    pipeline::addFile(f, e.mask);
  f.add(int64_t(e.level));
  for (const std::string &out : job.outputs[index])
    f.add(out);
  return f.hex();
}

CohortSummary runCohort(const CohortJob &job, WorkSource &source,
                        const SlideRunner &run) {
  Clock::time_point start = Clock::now();
  double startedAt = unixSeconds();
  Progress progress(job);
  bool leader = source.leader();
  // The sink dies with `progress`, before the source: unhook it on every
  // way out (another thread, MPI's dispatcher, may call it).
  struct Unhook {
    WorkSource &source;
    ~Unhook() { source.setSink({}); }
  } unhook{source};
  if (leader)
    source.setSink([&](const Outcome &o) { progress.note(o); });
  int64_t ranHere = 0;
  double megapixelsHere = 0;
  std::vector<int64_t> busy;
  auto account = [&](const Outcome &o) {
    if (o.kind == Outcome::Done || o.kind == Outcome::Failed)
      ++ranHere, megapixelsHere += o.megapixels;
    if (leader)
      progress.note(o);
  };
  std::optional<Outcome> last;
  for (int64_t index; (index = source.next(last ? &*last : nullptr)) >= 0;) {
    last = runOne(job, size_t(index), run, startedAt);
    if (last->kind == Outcome::Busy)
      busy.push_back(index);
    else
      account(*last);
  }
  // Slides another process held: once more, in case it has finished or
  // died meanwhile (its lease then stale).
  for (int64_t index : busy)
    account(runOne(job, size_t(index), run, startedAt));
  source.finish();
  CohortSummary summary;
  if (leader)
    summary = summarize(job, secondsSince(start), job.progress);
  summary.ranHere = ranHere;
  summary.megapixelsHere = megapixelsHere;
  summary.wallSeconds = secondsSince(start);
  return summary;
}

} // namespace sstep::cohort
