//===- SlideRunParts.h - The slide run's pieces, shared in the pipeline ---===//
//
// SlideRun.cpp is the pipeline (outputs, sinks, the executor, the end);
// SlideTiles.cpp decides which tiles of the first stage this run computes
// (tissue, its band of a split run, its journal). These are the pieces both
// see; nothing outside runtime/pipeline includes this.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PIPELINE_SLIDERUNPARTS_H
#define SSTEP_RUNTIME_PIPELINE_SLIDERUNPARTS_H

#include "runtime/pipeline/SlideRun.h"
#include "runtime/pipeline/SpillWriter.h"
#include "runtime/plan/MemoryPlan.h"
#include "runtime/plan/Tiling.h"

#include <memory>
#include <string>
#include <vector>

namespace sstep::pipeline {

/// Elsewhere: in another process's band (SlideBands.h).
enum class TileState : uint8_t { Run, Done, Background, Elsewhere };

/// One output of the run: its file, format, and where its blocks go.
struct OutputPlan {
  SlideOutputFile file;
  OutputFormat format = OutputFormat::Npy;
  int value = -1;
  bool streamed = false;
  std::string spillPath;
  std::unique_ptr<SpillSink> sink;
  /// Owned blocks of skipped tiles, to be set to the background (outputs
  /// from memory; streamed ones tell their sink).
  std::vector<Region> background;
};

/// What a failed run leaves behind.
struct Leftovers {
  std::vector<std::string> spills;
  bool resumable = false;
};

/// The run's outputs: which stream to spill files (the journal goes beside
/// the first of them) and which are written from memory.
struct Outputs {
  std::vector<OutputPlan> plans;
  std::string journalPath;
  bool allStreamedTiles = true;
};

/// Each tile of the first stage: to run, done by an earlier run (its
/// journal's), background (no tissue) or another rank's; and the journal
/// of a run that can resume.
struct TilePlan {
  std::vector<TileState> state;
  std::unique_ptr<Journal> journal;
  /// Of the command: what a journal or checkpoint must match to resume.
  std::string fingerprint;
};

/// Whether every streamed output's spill file is there at its full size.
bool spillsWhole(const Program &program, const plan::Sizes &sizes,
                 const Outputs &outputs);

/// Why a run whose journal cannot serve it (several stages, reductions,
/// outputs from memory) cannot resume from checkpoints either; empty when it
/// can (exec/Checkpoint.h).
std::string whyNotResumable(const Program &program,
                            const plan::ExecutionPlan &plan,
                            const std::vector<OutputPlan> &outs);
/// The folder of a checkpointed run's state and stored images: OUTPUT.resume
/// in the scratch folder, by default the first output's folder.
std::string checkpointFolderOf(const SlideRunOptions &options,
                               const std::vector<OutputPlan> &outs);
/// The checkpoints of a run in report.checkpointFolder, resuming when they
/// are this command's (`fingerprint`, with where the stored images live) and
/// the outputs' spill files are whole; says so on the log.
std::unique_ptr<exec::Checkpoints>
openCheckpoints(const Program &program, const plan::ExecutionPlan &plan,
                const plan::Sizes &sizes, const Outputs &outputs,
                const SlideRunOptions &options, const std::string &fingerprint,
                SlideRunReport &report);

/// A note on the run's log ("TOOL: note: TEXT").
void note(const SlideRunOptions &options, const std::string &text);

/// Refuses a tissue mask for a model whose later stages would read the
/// skipped tiles (RuntimeError).
void checkMaskable(const plan::Stages &stages);

/// Each first-stage tile of `tiling`: background (no tissue, with a mask),
/// elsewhere (another rank's band), done (in this command's journal) or to
/// run; opens the journal of a resumable run, and for a split run has rank
/// 0 prepare the shared spill files. Counts them in `report`.
TilePlan planTiles(const Program &program, const plan::ExecutionPlan &plan,
                   const slide::SlideReader &reader,
                   const SlideRunOptions &options,
                   const plan::StageTiling &tiling, const plan::Sizes &sizes,
                   const Outputs &outputs, SlideRunReport &report,
                   const Leftovers &leftovers);

} // namespace sstep::pipeline

#endif // SSTEP_RUNTIME_PIPELINE_SLIDERUNPARTS_H
