//===- JobStore.h - Slide jobs: queued, run one by one, kept on disk -*- C++
//-*-===//
//
// A slide job is a model run over one slide level whose output stays on the
// server until fetched. Each job has a folder under the store's:
//
//   JOBS/3f9c2a.../job.json      what was asked, state, progress, error
//   JOBS/3f9c2a.../output.tif    the output (and its journal while running)
//
// Records are written atomically at each change of state, so a server
// killed or restarted finds its queued and running jobs again and runs them:
// the slide pipeline resumes a cut run from its journal beside the output.
// Jobs run one at a time on a worker thread, each with every core; the
// queue is bounded (submit throws a 429 ProtocolError when full).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SERVE_JOBSTORE_H
#define SSTEP_RUNTIME_SERVE_JOBSTORE_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sstep::serve {

/// What a client asks for.
struct JobSpec {
  std::string model;
  /// The slide's resolved path (SlideRoots::resolve).
  std::string slide;
  /// The output file's name in the job's folder; its extension picks the
  /// format (.tif, .h5, .npy, .json).
  std::string output = "output.tif";
  /// The model output to write (its name); empty: the first.
  std::string outputName;
  int level = 0;
  std::string normalize = "imagenet";
  bool tissueMask = false;
  /// Tile edge in level pixels; 0: the planner's for the memory budget.
  int64_t tile = 0;
};

struct JobStatus {
  enum class State { Queued, Running, Done, Failed, Cancelled };
  std::string id;
  JobSpec spec;
  State state = State::Queued;
  std::string error;
  int64_t tilesDone = 0, tilesTotal = 0, tilesResumed = 0;
  double megapixelsPerSecond = 0, seconds = 0, megapixels = 0;
  std::string created, started, finished;
};

const char *stateName(JobStatus::State state);

/// How the server runs one job: writes `outputPath`, calling `onTile` after
/// each tile (an exception from it stops the run, which a later run
/// resumes). Returns tiles resumed and the level's megapixels.
using JobRunner = std::function<std::pair<int64_t, double>(
    const JobSpec &spec, const std::string &outputPath,
    const std::function<void(int64_t, int64_t, double)> &onTile)>;

class JobStore {
public:
  /// Reads the jobs `folder` holds (creating it) and queues again those
  /// that were queued or running. Starts no thread.
  JobStore(std::string folder, size_t maxQueued, JobRunner runner);
  ~JobStore();

  /// Starts the worker; stop() ends it, leaving a running job to resume.
  void start();
  void stop();

  /// A new job's id. Throws ProtocolError 429 when the queue is full.
  std::string submit(const JobSpec &spec);
  std::optional<JobStatus> get(const std::string &id) const;
  std::vector<JobStatus> list() const;
  /// Cancels a queued or running job, or deletes a finished one and its
  /// files. False when there is no such job.
  bool cancel(const std::string &id);
  /// The output file of job `id`.
  std::string outputPath(const JobStatus &job) const;
  /// Jobs by state, for /metrics.
  std::map<std::string, int64_t> counts() const;

  /// The JSON a client reads for `job` (GET /v1/jobs/{id}).
  static std::string describe(const JobStatus &job);

private:
  void work();
  void save(const JobStatus &job) const;
  std::string folderOf(const std::string &id) const;

  std::string folder_;
  size_t maxQueued_;
  JobRunner runner_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, JobStatus> jobs_;
  std::deque<std::string> queue_;
  std::string running_;
  std::atomic<bool> cancelRunning_{false};
  std::atomic<bool> stopping_{false};
  std::thread worker_;
};

} // namespace sstep::serve

#endif // SSTEP_RUNTIME_SERVE_JOBSTORE_H
