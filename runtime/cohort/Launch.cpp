//===- Launch.cpp - How this process was launched: MPI ranks, Slurm -------===//

#include "runtime/cohort/Launch.h"

#include <cstdlib>
#include <initializer_list>

namespace sstep::cohort {
namespace {

int envInt(const char *name) {
  const char *value = std::getenv(name);
  return value ? std::atoi(value) : 0;
}

} // namespace

int launcherRanks() {
  for (const char *size : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (int n = envInt(size); n > 0)
      return n;
  // srun --mpi=pmix sets the rank but not always the size.
  if (std::getenv("PMIX_RANK") && envInt("SLURM_NTASKS") > 1)
    return envInt("SLURM_NTASKS");
  return 1;
}

int localRanks() {
  for (const char *name : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS",
                           "SLURM_NTASKS_PER_NODE"})
    if (int n = envInt(name); n > 0)
      return n;
  return 1;
}

} // namespace sstep::cohort
