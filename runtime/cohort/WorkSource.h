//===- WorkSource.h - Who hands a worker its next slide ---------*- C++ -*-===//
//
// A cohort's workers pull slides one at a time, so that none idles while
// work remains. Where the next slide comes from depends on how they were
// launched: one process or independent ones (a Slurm job array) walk the
// cohort largest first and claim each slide's lease (ListSource); MPI ranks
// ask rank 0, which hands out slides largest first (MpiSource.h). Either
// way a worker claims the slide's lease before running it, so two launches
// over one output folder never run a slide twice at once.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_COHORT_WORKSOURCE_H
#define SSTEP_RUNTIME_COHORT_WORKSOURCE_H

#include <cstdint>
#include <functional>
#include <vector>

namespace sstep::cohort {

/// What a worker did with a slide it was handed.
struct Outcome {
  enum Kind : int32_t {
    Done,     ///< ran it to the end
    Failed,   ///< recorded its error
    Finished, ///< found it done by an earlier run, with this fingerprint
    GaveUp,   ///< found it failed too often (--max-attempts)
    Busy,     ///< another live process holds its lease
  };
  int64_t slide = -1;
  Kind kind = Done;
  /// Wall time of the attempt and its input megapixels.
  double seconds = 0, megapixels = 0;
};

/// Told of every outcome in the cohort that the leader sees.
using OutcomeSink = std::function<void(const Outcome &)>;

class WorkSource {
public:
  virtual ~WorkSource() = default;
  /// The next slide (an index into the manifest), or -1 when none is
  /// left. `last` is this worker's outcome of the slide before, if any.
  virtual int64_t next(const Outcome *last) = 0;
  /// Whether this process reports the cohort's progress and summary.
  virtual bool leader() const = 0;
  /// The leader's sink also hears the other workers' outcomes (MPI).
  virtual void setSink(OutcomeSink sink) { (void)sink; }
  /// Called when this worker is done: the leader waits there until every
  /// other worker is (MPI).
  virtual void finish() {}
};

/// The slides in a fixed order, each handed out once: a process alone, or
/// one of several that share the output folder through leases.
class ListSource : public WorkSource {
public:
  explicit ListSource(std::vector<int64_t> order) : order_(std::move(order)) {}
  int64_t next(const Outcome *) override {
    return next_ < order_.size() ? order_[next_++] : -1;
  }
  bool leader() const override { return true; }

private:
  std::vector<int64_t> order_;
  size_t next_ = 0;
};

/// Manifest indices by `cost` (for instance level pixels), largest first;
/// ties keep manifest order.
std::vector<int64_t> largestFirst(const std::vector<double> &cost);

} // namespace sstep::cohort

#endif // SSTEP_RUNTIME_COHORT_WORKSOURCE_H
