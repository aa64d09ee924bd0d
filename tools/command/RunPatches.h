//===- RunPatches.h - sstep-run MODEL SLIDE --patches=N ---------*- C++ -*-===//
//
// The patch side of a slide run: with --patches, the model runs on each
// patch of the level as an image of its own and one output per patch goes
// to an HDF5 table with the patch's coordinates (pipeline/PatchRun.h).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TOOLS_COMMAND_RUNPATCHES_H
#define SSTEP_TOOLS_COMMAND_RUNPATCHES_H

#include "tools/command/RunCommand.h"
#include "tools/command/RunSlide.h"

namespace sstep {

/// Runs `call.model` on each patch of `call.slidePath`; returns the exit
/// code. Throws UsageError or RuntimeError (exit 2) for bad input.
int runPatchCommand(const SlideCall &call, SlideOutcome *outcome = nullptr);

/// Throws UsageError when `call`'s patch options are bad.
void checkPatchOptions(const SlideCall &call);

} // namespace sstep

#endif // SSTEP_TOOLS_COMMAND_RUNPATCHES_H
