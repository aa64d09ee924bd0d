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

/// A run over a slide level. Its ExecutionOptions' tiles are level pixels;
/// with tileEdge 0 they are chosen to fit memoryBudget (2 GiB unless set),
/// as chained strips for a backend that keeps rows, else the first of 1024,
/// 2048, 4096 that keeps the halo small (plan::planExecution's slide
/// policy).
/// An unreadable slide or an unwritable output found by a slide or patch
/// run: bad input, as RuntimeError says, and of the slide's making.
class SlideRunError : public RuntimeError {
public:
  using RuntimeError::RuntimeError;
};

struct SlideJob : ExecutionOptions {
  SlideJob() { memoryBudget = int64_t(2) << 30; }
  /// The level, normalisation, outputs, format, tissue mask, progress...
  pipeline::SlideRunOptions run;
};

/// Runs `model` over `slidePath` as `job` says. Throws RuntimeError for a
/// bad level, SlideRunError (a RuntimeError) for an unreadable slide or an
/// unwritable output, naming it.
pipeline::SlideRunReport runOnSlide(const Model &model,
                                    const std::string &slidePath, SlideJob job);

/// The model on each patch of a slide. Its ExecutionOptions are each
/// patch's run: fixed tiles, or whole when the patch fits memoryBudget (2
/// GiB unless set), else the tiles that do.
struct PatchJob : ExecutionOptions {
  PatchJob() { memoryBudget = int64_t(2) << 30; }
  /// The level, patch size and stride, outputs, layout, tissue mask...
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
