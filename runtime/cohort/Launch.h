//===- Launch.h - How this process was launched: MPI ranks, Slurm ---------===//
//
// Read from the launcher's environment, with or without MPI in the build:
// a build without MPI must still notice that mpirun started several copies
// of it, which would otherwise each run the whole slide into one file.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_COHORT_LAUNCH_H
#define SSTEP_RUNTIME_COHORT_LAUNCH_H

namespace sstep::cohort {

/// The ranks an MPI launcher (mpirun, or srun with a PMI plugin) started,
/// from its variables; 1 when there is none.
int launcherRanks();

/// Whether an MPI launcher started more than one rank.
inline bool launchedByMpi() { return launcherRanks() > 1; }

/// Ranks on this node, from the launcher's variables (1 if unknown).
int localRanks();

} // namespace sstep::cohort

#endif // SSTEP_RUNTIME_COHORT_LAUNCH_H
