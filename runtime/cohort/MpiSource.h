//===- MpiSource.h - Rank 0 hands out a cohort's slides ---------*- C++ -*-===//
//
// Under `mpirun -np N` or Slurm's `srun --mpi=pmix`, every rank works and
// rank 0 also hands out the slides, largest first: a worker that finishes
// one sends its outcome and gets the next, so no rank idles while slides
// remain and the longest ones do not end up last. Rank 0 answers from a
// thread that polls (a blocking receive would spin a core away from the
// tiles), and hears every outcome, so it prints the whole cohort's progress
// and, once every worker has been told there is nothing left, its summary.
//
// A rank that dies costs the slide it held: mpirun ends the job, and the
// next run of the same command redoes that slide (resuming its journal)
// and skips the finished ones.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_COHORT_MPISOURCE_H
#define SSTEP_RUNTIME_COHORT_MPISOURCE_H

#include "runtime/cohort/MpiWorld.h"
#include "runtime/cohort/WorkSource.h"

#include <memory>

namespace sstep::cohort {

class MpiSource : public WorkSource {
public:
  /// Hands out work among the ranks of `world`, which outlives it.
  explicit MpiSource(MpiWorld &world);
  /// Rank 0: starts handing out `order`. The other ranks' first next()
  /// waits until then.
  void start(std::vector<int64_t> order);
  /// Waits for the dispatcher (rank 0).
  ~MpiSource() override;

  int64_t next(const Outcome *last) override;
  bool leader() const override { return rank_ == 0; }
  void setSink(OutcomeSink sink) override;
  void finish() override;
  int rank() const { return rank_; }
  int size() const { return size_; }

private:
  struct Dispatcher;
  int rank_ = 0, size_ = 1;
  std::unique_ptr<Dispatcher> dispatcher_;
};

} // namespace sstep::cohort

#endif // SSTEP_RUNTIME_COHORT_MPISOURCE_H
