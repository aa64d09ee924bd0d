//===- CohortRun.h - One model over every slide of a cohort -----*- C++ -*-===//
//
// A worker's loop: take the next slide from the WorkSource, skip it when an
// earlier run finished it with the same fingerprint (plan, options, slide
// file), claim its lease, record it `running`, run it, record `done` or
// `failed` with the error, release the lease, and go on. A failing slide
// never stops the cohort. A slide killed mid-run keeps its tile journal, so
// the next attempt resumes where it stopped; one that failed `maxAttempts`
// times is left alone until its fingerprint changes.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_COHORT_COHORTRUN_H
#define SSTEP_RUNTIME_COHORT_COHORTRUN_H

#include "runtime/cohort/CohortState.h"
#include "runtime/cohort/Manifest.h"
#include "runtime/cohort/WorkSource.h"

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace sstep::cohort {

struct CohortJob {
  const Manifest *manifest = nullptr;
  const CohortState *state = nullptr;
  /// Per manifest slide: its output paths, and its cost in megapixels
  /// (SlideCost.h; progress and ETA count in these).
  std::vector<std::vector<std::string>> outputs;
  std::vector<double> megapixels;
  /// Everything but the slide that decides the results: the plan and the
  /// options, hashed by the caller.
  std::string commandFingerprint;
  int maxAttempts = 3;
  /// The launch this worker belongs to, shared by its siblings (a Slurm
  /// job or job array's id); empty for none. A slide that failed in this
  /// launch is not retried by a sibling that starts after the failure.
  std::string runId;
  /// Leases untouched this long are stale; the holder touches its lease
  /// at the heartbeat.
  double staleSeconds = 600, heartbeatSeconds = 30;
  /// Progress lines and the summary table on `log`, as `tool`.
  bool progress = true;
  std::string tool = "sstep-run";
  std::FILE *log = stderr;
};

/// What running one slide gave. A runner throws to fail the slide; the
/// exception's message is recorded.
struct SlideRunResult {
  double megapixels = 0;
  int64_t tilesResumed = 0;
};
/// Runs one slide into `outputs`. It calls `checkpoint` now and then (after
/// each tile), which throws when the slide is no longer this worker's (its
/// lease was taken over): the run must stop there.
using SlideRunner = std::function<SlideRunResult(
    const ManifestEntry &, const std::vector<std::string> &outputs,
    const std::function<void()> &checkpoint)>;

/// The cohort as the state folder says at the end of a run.
struct CohortSummary {
  int64_t slides = 0, done = 0, failed = 0, running = 0, pending = 0;
  /// Slides this process ran (either way) and their input megapixels.
  int64_t ranHere = 0;
  double megapixelsHere = 0, wallSeconds = 0;
  /// Nothing failed and nothing is left (slides running elsewhere aside).
  bool complete() const { return failed == 0 && pending == 0; }
};

/// The fingerprint of slide `index` of `job`: the command's, the slide
/// file's (path, size, modification time), its level and outputs.
std::string slideFingerprint(const CohortJob &job, size_t index);

/// Runs this worker's share of `job`. The leader (WorkSource::leader)
/// prints progress for the whole cohort and, at the end, writes the summary
/// (summary.json and a table). Throws RuntimeError only when the state
/// folder cannot be written.
CohortSummary runCohort(const CohortJob &job, WorkSource &source,
                        const SlideRunner &run);

/// Reads every record of `job` and writes OUTDIR/.sstep/summary.json; with
/// `table`, prints a table of the slides on job.log (Summary.cpp).
CohortSummary summarize(const CohortJob &job, double wallSeconds, bool table);

} // namespace sstep::cohort

#endif // SSTEP_RUNTIME_COHORT_COHORTRUN_H
