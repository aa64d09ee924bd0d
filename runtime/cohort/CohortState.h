//===- CohortState.h - What a cohort run has done, in OUTDIR/.sstep -------===//
//
// The state folder records each slide of a cohort in a JSON file of its own,
// written atomically (a temporary file, fsync, rename), so any number of
// processes on any hosts update it without locks and a killed one leaves
// every record whole:
//
//   OUTDIR/.sstep/slides/ID.json   the slide's record (SlideRecord)
//   OUTDIR/.sstep/leases/ID        who works on it now (Lease.h)
//   OUTDIR/.sstep/stats/ID.json    its last run's statistics (as --stats)
//   OUTDIR/.sstep/summary.json     the cohort as the last run to end saw it
//
// A record says `running` from the moment a process claims the slide;
// `done` once its outputs are in place, `failed` with the error when it
// could not be run.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_COHORT_COHORTSTATE_H
#define SSTEP_RUNTIME_COHORT_COHORTSTATE_H

#include "runtime/core/AtomicFile.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sstep::cohort {

struct SlideRecord {
  enum class Status { Running, Done, Failed };
  std::string id, slide;
  Status status = Status::Running;
  /// The error of a failed attempt.
  std::string error;
  /// Attempts so far, this one included.
  int attempts = 0;
  /// The fingerprint of the plan, the options and the slide file: a
  /// finished slide whose fingerprint differs is run again.
  std::string fingerprint;
  std::vector<std::string> outputs;
  /// The attempt's wall time, input megapixels and tiles found done in a
  /// journal left by an earlier attempt.
  double seconds = 0, megapixels = 0;
  int64_t tilesResumed = 0;
  /// The launch it belongs to (CohortJob::runId).
  std::string runId;
  /// Who ran it, and when it finished (UTC, ISO 8601; Unix seconds).
  std::string host, finished;
  int64_t pid = 0;
  double finishedAt = 0;
};

const char *statusName(SlideRecord::Status status);

class CohortState {
public:
  /// Creates OUTDIR/.sstep and its folders as needed. Throws RuntimeError
  /// naming the folder.
  explicit CohortState(std::string outDir);

  const std::string &outDir() const { return outDir_; }
  std::string folder() const { return outDir_ + "/.sstep"; }
  std::string recordPath(const std::string &id) const;
  std::string leasePath(const std::string &id) const;
  std::string summaryPath() const { return folder() + "/summary.json"; }

  /// The record of `id`, if there is a readable one (a record that is not
  /// JSON, as a disk fault could leave, counts as none).
  std::optional<SlideRecord> read(const std::string &id) const;
  /// Writes `record` atomically. Throws RuntimeError naming the file.
  void write(const SlideRecord &record) const;

private:
  std::string outDir_;
};

using sstep::unixSeconds;
using sstep::utcTimestamp;
using sstep::writeFileAtomically;

} // namespace sstep::cohort

#endif // SSTEP_RUNTIME_COHORT_COHORTSTATE_H
