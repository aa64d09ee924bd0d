//===- MpiWorld.h - MPI, started once, for cohorts and split slides -------===//
//
// The ranks of an `mpirun` or `srun --mpi=pmix` launch. MPI starts at
// thread level SERIALIZED (rank 0's dispatcher thread makes the calls while
// its main thread works, never both at once) and ends with the object.
// Waiting for other ranks polls and sleeps: OpenMPI's blocking calls spin,
// which would take a core from the tiles of a rank still working.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_COHORT_MPIWORLD_H
#define SSTEP_RUNTIME_COHORT_MPIWORLD_H

#include "runtime/cohort/Launch.h"

namespace sstep::cohort {

class MpiWorld {
public:
  /// Initialises MPI. Throws RuntimeError when it cannot start, or starts
  /// this process alone although the launcher started several (an MPI
  /// other than the launcher's: each would run everything).
  MpiWorld();
  /// Finalises MPI; leaving on an exception aborts every rank instead (the
  /// others would wait for this one forever).
  ~MpiWorld();
  MpiWorld(const MpiWorld &) = delete;
  MpiWorld &operator=(const MpiWorld &) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  /// Returns once every rank has called it.
  void barrier();

private:
  int rank_ = 0, size_ = 1;
};

} // namespace sstep::cohort

#endif // SSTEP_RUNTIME_COHORT_MPIWORLD_H
