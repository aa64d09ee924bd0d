//===- MpiWorld.cpp - MPI, started once, for cohorts and split slides -----===//

#include "runtime/cohort/MpiWorld.h"
#include "runtime/core/RuntimeError.h"

#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <thread>

namespace sstep::cohort {
namespace {

int envInt(const char *name) {
  const char *value = std::getenv(name);
  return value ? std::atoi(value) : 0;
}

} // namespace

bool launchedByMpi() {
  for (const char *size : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (envInt(size) > 1)
      return true;
  // srun --mpi=pmix sets the rank but not always the size.
  return std::getenv("PMIX_RANK") && envInt("SLURM_NTASKS") > 1;
}

int localRanks() {
  for (const char *name : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS",
                           "SLURM_NTASKS_PER_NODE"})
    if (int n = envInt(name); n > 0)
      return n;
  return 1;
}

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
