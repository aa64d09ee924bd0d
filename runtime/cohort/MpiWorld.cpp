//===- MpiWorld.cpp - MPI, started once, for cohorts and split slides -----===//

#include "runtime/cohort/MpiWorld.h"
#include "runtime/core/RuntimeError.h"

#include <mpi.h>

#include <chrono>
#include <exception>
#include <thread>

namespace sstep::cohort {
MpiWorld::MpiWorld() {
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) !=
      MPI_SUCCESS)
    throw RuntimeError("MPI could not start (MPI_Init_thread failed)");
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  if (provided < MPI_THREAD_SERIALIZED && size_ > 1) {
    MPI_Abort(MPI_COMM_WORLD, 2);
    throw RuntimeError("this MPI offers no MPI_THREAD_SERIALIZED");
  }
  if (size_ == 1 && launcherRanks() > 1) {
    MPI_Finalize();
    throw RuntimeError(
        "the launcher started " + std::to_string(launcherRanks()) +
        " ranks, but MPI started this one alone: this program's OpenMPI "
        "does not speak to the launcher (use OpenMPI's mpirun, or srun "
        "--mpi=pmix)");
  }
}

MpiWorld::~MpiWorld() {
  if (std::uncaught_exceptions() > 0)
    MPI_Abort(MPI_COMM_WORLD, 2);
  MPI_Finalize();
}

void MpiWorld::barrier() {
  using namespace std::chrono_literals;
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done)
      return;
    std::this_thread::sleep_for(2ms);
  }
}

} // namespace sstep::cohort
