//===- NpyResume.h - Checkpoints of a tiled run into .npy files --*- C++
//-*-===//
//
// A tiled run writes each owned block of its .npy outputs in place into
// OUT.npy.part. With checkpoints (exec/Checkpoint.h) in a folder
// OUT.npy.resume (beside the output, or in --scratch), a killed run's rerun
// of the same command goes on where the last checkpoint stood: the stages
// and tiles before it are skipped and the .part keeps the blocks the
// checkpoint vouches for (each save first makes the blocks written so far
// durable). A run that cannot resume (an image between stages kept in
// memory, an output computed whole) runs as before.
//
// Example: ResNet-50 over a 32768² .npy in 2048 x 32 strips, killed after
// 700 of 1024 strips: the rerun notes "resuming from out.npy.resume: stage
// 1 of 1, 690 of its tiles done" and runs the last 334.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TOOLS_COMMAND_NPYRESUME_H
#define SSTEP_TOOLS_COMMAND_NPYRESUME_H

#include "runtime/api/Model.h"
#include "runtime/core/Npy.h"
#include "runtime/exec/Checkpoint.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sstep {

struct NpyResume {
  /// Null when the run cannot resume.
  std::unique_ptr<exec::Checkpoints> checkpoints;
  /// Whether a checkpoint was found to go on from: the outputs' `.part`
  /// files are reopened as they are.
  bool resuming = false;
  /// What to tell the user (where the run resumes from, or why a
  /// checkpoint found is not used); empty: nothing.
  std::string note;
};

/// The checkpoints of `program` run as `plan`, streaming `outputs` (value
/// and .npy path, by output index) block by block, in `folder`, for a
/// command fingerprinted `fingerprint`.
NpyResume openNpyResume(const Program &program, const plan::ExecutionPlan &plan,
                        const std::vector<std::pair<int, std::string>> &outputs,
                        const std::string &folder,
                        const std::string &fingerprint, double intervalSeconds);

/// The same for a tiled run of `model` as `options` ask, reading the
/// files `inputs` (the first of shape `first`) and streaming `streamed`:
/// fingerprinted by what its results depend on (model, input files,
/// outputs, backend, tiles, threads, budget, store), in the scratch folder
/// (by default the first output's), saved every `intervalSeconds`. Prints
/// the note on stderr after "`tool`: note: ".
NpyResume resumeNpyRun(const std::string &tool, const Model &model,
                       const RunOptions &options,
                       const std::vector<std::unique_ptr<NpyFile>> &inputs,
                       const std::vector<std::pair<int, std::string>> &streamed,
                       const Shape &first, double intervalSeconds);

/// With SSTEP_TEST_ABORT_AFTER_TILES=N set, a progress hook that kills the
/// run with SIGKILL once N tiles have run (before the checkpoint after the
/// Nth), so that tests kill it at a known point; else none.
std::function<void(const exec::TileId &, bool)> testAbortHook();

} // namespace sstep

#endif // SSTEP_TOOLS_COMMAND_NPYRESUME_H
