//===- RunPatches.cpp - sstep-run MODEL SLIDE --patches=N -----------------===//

#include "tools/command/RunPatches.h"
#include "runtime/api/Slide.h"
#include "runtime/core/ProcessMemory.h"
#include "tools/command/SlideOptions.h"
#include "tools/command/TileOptions.h"
#include "tools/command/WriteOutput.h"

#include <fstream>

namespace sstep {
namespace {

using tool::Args;
using tool::UsageError;

void writePatchStats(const std::string &file, const std::string &slidePath,
                     const PatchJob &job, const pipeline::PatchRunReport &r) {
  const exec::Stats &s = r.stats;
  double megapixels =
      double(r.patchesRun) * double(job.run.size) * double(job.run.size) / 1e6;
  std::ofstream out(file);
  out << "{\n  \"slide\": \"" << slidePath
      << "\",\n  \"level\": " << job.run.level << ",\n  \"level_size\": ["
      << r.level[0] << ", " << r.level[1]
      << "],\n  \"patch_size\": " << job.run.size
      << ",\n  \"patch_stride\": " << job.run.stride
      << ",\n  \"patch_tile_edge\": " << r.tileEdge
      << ",\n  \"patch_tile_rows\": " << r.tileRows
      << ",\n  \"patches_in_grid\": " << r.patchesInGrid
      << ",\n  \"patches\": " << r.patches
      << ",\n  \"patches_resumed\": " << r.patchesResumed
      << ",\n  \"patches_run\": " << r.patchesRun
      << ",\n  \"seconds\": " << r.seconds
      << ",\n  \"decode_seconds\": " << r.decodeSeconds
      << ",\n  \"tile_seconds\": " << s.tileSeconds
      << ",\n  \"finish_seconds\": " << r.finishSeconds
      << ",\n  \"patches_per_second\": "
      << (r.seconds > 0 ? double(r.patchesRun) / r.seconds : 0)
      << ",\n  \"megapixels_per_second\": "
      << (r.seconds > 0 ? megapixels / r.seconds : 0)
      << ",\n  \"measured_tile_bytes\": " << s.peakTileBytes
      << ",\n  \"peak_rss_bytes\": " << peakResidentBytes();
  endStats(out, s.counters, s.opSeconds, file);
}

pipeline::PatchRunOptions patchOptions(const SlideCall &call) {
  const Args &args = *call.args;
  for (const char *name : {"output-scale", "compression", "background"})
    if (args.has(name))
      throw UsageError(std::string("--") + name +
                       " does not apply to --patches (an HDF5 table)");
  pipeline::PatchRunOptions o;
  setSharedSlideOptions(call, o, o.abortAfterPatches);
  o.size = tool::parseInt("--patches", args.get("patches"));
  o.stride = args.has("patch-stride")
                 ? tool::parseInt("--patch-stride", args.get("patch-stride"))
                 : o.size;
  if (o.size <= 0 || o.stride <= 0)
    throw UsageError("--patches and --patch-stride must be positive");
  try {
    o.layout = slide::parsePatchLayout(args.get("patch-layout", "table"));
  } catch (const std::invalid_argument &e) {
    throw UsageError(std::string("--patch-layout: ") + e.what());
  }
  if (args.has("min-tissue")) {
    if (!o.tissueMask)
      throw UsageError("--min-tissue needs --tissue-mask");
    o.minTissue = tool::parseDouble("--min-tissue", args.get("min-tissue"));
    if (!(o.minTissue >= 0 && o.minTissue <= 1))
      throw UsageError("--min-tissue takes a share from 0 to 1, got " +
                       args.get("min-tissue"));
  }
  return o;
}

} // namespace

void checkPatchOptions(const SlideCall &call) {
  patchOptions(call);
  parseTileRequest(*call.args, call.defaults.slideTile,
                   call.defaults.slideBudget);
}

int runPatchCommand(const SlideCall &call, SlideOutcome *outcome) {
  const Args &args = *call.args;
  PatchJob job;
  job.backend = call.backend;
  job.threads = args.has("threads")
                    ? int(tool::parseInt("--threads", args.get("threads")))
                    : 0;
  TileRequest request = parseTileRequest(args, call.defaults.slideTile,
                                         call.defaults.slideBudget);
  job.tileEdge = request.edge;
  job.tileRows = request.rows;
  // --tile=none: each patch whole, whatever the budget.
  job.memoryBudget = request.automatic ? request.budget : 0;
  job.run = patchOptions(call);
  pipeline::PatchRunReport report =
      runPatchesOnSlide(*call.model, call.slidePath, job);
  if (args.has("stats"))
    writePatchStats(args.get("stats"), call.slidePath, job, report);
  if (outcome) {
    outcome->megapixels =
        double(report.level[0]) * double(report.level[1]) / 1e6;
    outcome->tilesResumed = report.patchesResumed;
  }
  return 0;
}

} // namespace sstep
