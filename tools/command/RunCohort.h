//===- RunCohort.h - sstep-run MODEL --cohort M.csv -o OUTDIR ---*- C++ -*-===//
//
// The cohort side of sstep-run and of inference binaries: every slide of a
// CSV manifest (runtime/cohort/Manifest.h) runs as `sstep-run MODEL SLIDE`
// would with the same options, one slide at a time with all of the
// process's threads, its outputs appearing atomically in OUTDIR. State,
// leases and the summary live in OUTDIR/.sstep (docs/cohorts.md). Started
// by mpirun or srun with several ranks, rank 0 hands out the slides;
// otherwise processes over one OUTDIR (a Slurm job array) share the cohort
// through leases.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TOOLS_COMMAND_RUNCOHORT_H
#define SSTEP_TOOLS_COMMAND_RUNCOHORT_H

#include "tools/command/RunCommand.h"

namespace sstep {

/// Runs `call.model` over every slide of `call.cohort`. Returns 0 when every
/// slide is done, 2 when one failed (each failure recorded and in the
/// summary). Throws UsageError or RuntimeError for a bad manifest, option
/// or output folder, before any slide runs.
int runCohortCommand(const SlideCall &call);

} // namespace sstep

#endif // SSTEP_TOOLS_COMMAND_RUNCOHORT_H
