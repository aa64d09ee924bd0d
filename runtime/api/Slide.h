//===- Slide.h - SSTEP's C++ API: a Model over a whole slide -----*- C++
//-*-===//
//
// Runs a Model tiled over one level of a slide (TIFF/SVS through libtiff,
// the rest through OpenSlide) in bounded memory, streaming image outputs into
// pyramidal TIFF, HDF5 or .npy files (by extension) and returning the small
// ones (a classifier's logits) in the report:
//
//   sstep::SlideJob job;
//   job.run.outputs = {{0, "heatmap.tif"}};
//   sstep::runOnSlide(model, "slide.svs", job);
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_API_SLIDE_H
#define SSTEP_RUNTIME_API_SLIDE_H

#include "runtime/api/Model.h"
#include "runtime/pipeline/PatchRun.h"
#include "runtime/pipeline/SlideRun.h"

namespace sstep {

struct SlideJob {
  /// The backend and its threads, as in RunOptions.
  std::string backend = "cpu";
  int threads = 0;
  /// Tiles of this many level pixels; 0: chosen to fit memoryBudget, as
  /// chained strips (plan::chooseTiles) for a backend that keeps rows, else
  /// the first of 1024, 2048, 4096 that keeps the halo small
  /// (plan::chooseSlideTileEdge).
  int64_t tileEdge = 0;
  /// With tileEdge: rows per tile (exec::Options::tileRows); 0: square.
  int64_t tileRows = 0;
  int64_t memoryBudget = int64_t(2) << 30;
  /// The level, normalisation, outputs, format, tissue mask, progress...;
  /// its tileEdge is set from the two above.
  pipeline::SlideRunOptions run;
};

/// Runs `model` over `slidePath` as `job` says. Throws RuntimeError for a
/// bad level, an unreadable slide or an unwritable output, naming it.
pipeline::SlideRunReport runOnSlide(const Model &model,
                                    const std::string &slidePath, SlideJob job);

struct PatchJob {
  std::string backend = "cpu";
  int threads = 0;
  /// Each patch's run: tiles of this many pixels (tileRows: rows); 0: whole
  /// when it fits memoryBudget, else the tiles that do.
  int64_t tileEdge = 0;
  int64_t tileRows = 0;
  int64_t memoryBudget = int64_t(2) << 30;
  /// The level, patch size and stride, outputs, layout, tissue mask...; its
  /// tile shape is set from the above.
  pipeline::PatchRunOptions run;
};

/// Runs `model` on each patch of `slidePath` as `job` says
/// (pipeline::runPatches). Throws RuntimeError naming the bad level, slide
/// or output.
pipeline::PatchRunReport runPatchesOnSlide(const Model &model,
                                           const std::string &slidePath,
                                           PatchJob job);

} // namespace sstep

#endif // SSTEP_RUNTIME_API_SLIDE_H
