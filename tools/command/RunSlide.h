//===- RunSlide.h - sstep-run MODEL SLIDE: a model over a slide -*- C++ -*-===//
//
// The slide side of sstep-run: when INPUT is a slide (anything but .npy), the
// model runs tiled over one level of it through runtime/pipeline, with
// outputs by extension (.tif, .h5, .npy, .json), resume, tissue skipping,
// progress and statistics.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TOOLS_COMMAND_RUNSLIDE_H
#define SSTEP_TOOLS_COMMAND_RUNSLIDE_H

#include "tools/command/RunCommand.h"

namespace sstep {

/// What a slide or patch run did, for a cohort's records.
struct SlideOutcome {
  double megapixels = 0;
  int64_t tilesResumed = 0;
};

/// Runs `call.model` over `call.slidePath` and writes `call.files`, or
/// over every slide of `call.cohort` (RunCohort.h). Launched by mpirun or
/// srun with several ranks, the ranks split the slide into bands of tile
/// rows and rank 0 writes the outputs (pipeline/SlideBands.h). Returns the
/// exit code; throws UsageError or RuntimeError (exit 2) for bad input.
int runSlide(const SlideCall &call, SlideOutcome *outcome = nullptr);

/// One slide in this process, whatever launched it (a cohort's slide).
int runOneSlide(const SlideCall &call, SlideOutcome *outcome = nullptr);

/// Throws UsageError when `call`'s slide options are bad, before any slide
/// is read.
void checkSlideOptions(const SlideCall &call);

} // namespace sstep

#endif // SSTEP_TOOLS_COMMAND_RUNSLIDE_H
