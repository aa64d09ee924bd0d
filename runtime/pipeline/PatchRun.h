//===- PatchRun.h - A model run on each patch of a slide --------*- C++ -*-===//
//
// Patch pipelines (multiple-instance learning, attention pooling over
// feature bags) run an encoder on each fixed-size patch of a slide on its
// own and keep one output per patch with its coordinates. This is that run:
// a grid of size x size patches, `stride` apart, over one level; each patch
// that lies wholly inside the level (and, with the tissue mask, holds
// tissue) runs through the model as an image of its own, so its output is
// exactly the model's on that patch alone, whatever its neighbours. A
// feature map tiled over the whole slide (SlideRun.h) is not the same
// thing: there a patch's features see the pixels around it.
//
// Example: a 1500 x 1100 level with 256-pixel patches, stride 256: 5 x 4 = 20
// patches at x = 0, 256, ..., 1024 and y = 0, ..., 768; the last 220 columns
// and 76 rows hold no whole patch and are left out.
//
// Outputs go to HDF5 (Hdf5PatchWriter.h). Rows land first in a spill file at
// fixed offsets and a journal lists the durable ones, so a killed run resumes
// without recomputing them; a patch too large for the memory budget runs
// tiled, which gives the same result.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PIPELINE_PATCHRUN_H
#define SSTEP_RUNTIME_PIPELINE_PATCHRUN_H

#include "runtime/exec/Executor.h"
#include "runtime/pipeline/Journal.h"
#include "runtime/pipeline/SlideRun.h"
#include "runtime/slide/Hdf5PatchWriter.h"

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace sstep::pipeline {

struct PatchRunOptions {
  int level = 0;
  Normalization normalization;
  /// Patch edge and the step between patches, in level pixels.
  int64_t size = 256;
  int64_t stride = 256;
  /// Program outputs and their .h5 files.
  std::vector<SlideOutputFile> outputs;
  slide::PatchLayout layout = slide::PatchLayout::Table;
  /// Keep only patches with tissue: a share (TissueMask::tissueShare) above
  /// 0 and at least minTissue.
  bool tissueMask = false;
  /// With tissueMask: the mask from this PNG (TissueMask::fromFile) instead
  /// of one computed from the slide.
  std::string maskFile;
  double minTissue = 0;
  /// Progress lines, fingerprint and the kill hook, as in SlideRunOptions.
  bool progress = true;
  std::string tool = "sstep-run";
  bool terminal = false;
  std::FILE *log = stderr;
  std::string fingerprint;
  int64_t abortAfterPatches = 0;
  /// Called after each patch with the patches done and in all and the
  /// input megapixels per second so far; an exception it throws stops the
  /// run, which a rerun resumes.
  std::function<void(int64_t done, int64_t total, double mps)> onPatch;
};

struct PatchRunReport {
  Size2 level{0, 0};
  /// Whole patches in the grid, those kept (with tissue), found done in the
  /// journal, and run now.
  int64_t patchesInGrid = 0, patches = 0, patchesResumed = 0, patchesRun = 0;
  Journal::Start journal = Journal::Start::Fresh;
  /// Each patch's tiles as run; 0: whole.
  int64_t tileEdge = 0, tileRows = 0;
  /// Per output, one patch's output shape.
  std::vector<std::vector<int64_t>> rowShapes;
  /// Summed over the patches' runs (peakTileBytes: the largest).
  exec::Stats stats;
  double seconds = 0, decodeSeconds = 0, finishSeconds = 0;
};

/// The top-left corners (y, x) of the whole size x size patches, `stride`
/// apart from (0, 0), over a level of `level` (height, width), row-major.
std::vector<Size2> patchOrigins(Size2 level, int64_t size, int64_t stride);

/// Runs `program` on each patch of level `options.level` of `reader` as
/// `plan` (made once for a patch's size) says, and writes
/// `options.outputs`. Throws RuntimeError (bad input) or slide::SlideError
/// (unreadable slide, unwritable output).
PatchRunReport runPatches(const Program &program,
                          const plan::ExecutionPlan &plan,
                          exec::Backend &backend,
                          const slide::SlideReader &reader,
                          const PatchRunOptions &options);

} // namespace sstep::pipeline

#endif // SSTEP_RUNTIME_PIPELINE_PATCHRUN_H
