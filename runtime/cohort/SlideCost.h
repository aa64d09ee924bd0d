//===- SlideCost.h - How much work each slide of a cohort is ----*- C++ -*-===//
//
// Slides are handed out largest first, so the longest do not end up last
// with every other worker idle. A slide's cost is the megapixels its run
// computes: the level's pixels, times the share of tissue when the run
// skips glass (--tissue-mask, from the same mask the run computes). Masks
// take a low-resolution read per slide, so costs are kept in
// OUTDIR/.sstep/costs.json by the slide file's identity (path, size,
// modification time), level and masking: a rerun reads them instead of
// opening every slide again, and of a job array's tasks starting together
// one measures (holding costs.lock, a lease) while the others wait for it.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_COHORT_SLIDECOST_H
#define SSTEP_RUNTIME_COHORT_SLIDECOST_H

#include "runtime/cohort/CohortState.h"
#include "runtime/cohort/Manifest.h"

#include <vector>

namespace sstep::cohort {

/// Each slide's cost in megapixels (0 for a slide that cannot be opened:
/// it fails, quickly, when its turn comes). `level` is the command's
/// level, for slides whose row names none.
std::vector<double> slideCosts(const Manifest &manifest,
                               const CohortState &state, int level,
                               bool tissueMask);

} // namespace sstep::cohort

#endif // SSTEP_RUNTIME_COHORT_SLIDECOST_H
