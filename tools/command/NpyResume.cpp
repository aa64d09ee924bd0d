//===- NpyResume.cpp - Checkpoints of a tiled run into .npy files ---------===//

#include "tools/command/NpyResume.h"
#include "runtime/core/Npy.h"
#include "runtime/core/Paths.h"
#include "runtime/exec/Fingerprint.h"

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace sstep {
namespace {

/// Whether each output whose stage the checkpoint says has begun has its
/// `.part` at full size (a user may have removed it since).
bool partsThere(const Program &program, const plan::ExecutionPlan &plan,
                const std::vector<std::pair<int, std::string>> &outputs,
                const exec::Checkpoint &checkpoint) {
  plan::Sizes sizes = plan::predictSizes(program, plan.stages, plan.input);
  for (const auto &[v, path] : outputs) {
    int from = plan.stages.producer[v];
    int stage = from < 0 ? 0 : program.nodes[from].stage;
    bool begun = stage < checkpoint.stage ||
                 (stage == checkpoint.stage && checkpoint.tilesDone > 0);
    const Shape &shape = program.values[v].shape;
    if (begun && !NpyWriter::partHolds(
                     path, {shape[0], shape[1], sizes[v][0], sizes[v][1]}))
      return false;
  }
  return true;
}

} // namespace

NpyResume openNpyResume(const Program &program, const plan::ExecutionPlan &plan,
                        const std::vector<std::pair<int, std::string>> &outputs,
                        const std::string &folder,
                        const std::string &fingerprint,
                        double intervalSeconds) {
  NpyResume r;
  std::vector<int> streamed;
  for (const auto &output : outputs)
    streamed.push_back(output.first);
  if (outputs.empty() || plan.tiles.whole() ||
      !exec::whyNotCheckpointed(program, plan, streamed).empty())
    return r;
  const std::string &first = outputs.front().second;
  std::string dir =
      folder + "/" + first.substr(first.rfind('/') + 1) + ".resume";
  r.checkpoints =
      std::make_unique<exec::Checkpoints>(dir, fingerprint, intervalSeconds);
  const auto &found = r.checkpoints->found();
  if (!found)
    return r;
  if (!partsThere(program, plan, outputs, *found)) {
    r.note = "the checkpoint in " + dir +
             " vouches for blocks of an output file that is gone: starting "
             "afresh";
    r.checkpoints->remove();
    r.checkpoints =
        std::make_unique<exec::Checkpoints>(dir, fingerprint, intervalSeconds);
    return r;
  }
  r.resuming = true;
  r.note = "resuming from " + dir + ": stage " +
           std::to_string(found->stage + 1) + " of " +
           std::to_string(plan.stages.stages.size()) + ", " +
           std::to_string(found->tilesDone) + " of its tiles done";
  return r;
}

NpyResume resumeNpyRun(const std::string &tool, const Model &model,
                       const RunOptions &options,
                       const std::vector<std::unique_ptr<NpyFile>> &npy,
                       const std::vector<std::pair<int, std::string>> &streamed,
                       const Shape &first, double intervalSeconds) {
  if (streamed.empty() || first.size() != 4)
    return {};
  plan::ExecutionPlan plan = model.planFor(Size2{first[2], first[3]}, options,
                                           /*slide=*/false, options.stream);
  exec::Fingerprint f;
  exec::addProgram(f, model.program());
  for (const auto &file : npy)
    if (file)
      exec::addFile(f, file->path());
  for (const auto &[v, path] : streamed)
    f.add(int64_t(v)).add(path);
  f.add(options.backend)
      .add(options.tileEdge)
      .add(options.tileRows)
      .add(int64_t(options.threads))
      .add(options.memoryBudget)
      .add(int64_t(options.store));
  std::string folder = options.scratchFolder.empty()
                           ? folderOf(streamed[0].second)
                           : options.scratchFolder;
  NpyResume r = openNpyResume(model.program(), plan, streamed, folder, f.hex(),
                              intervalSeconds);
  if (!r.note.empty())
    std::cerr << tool << ": note: " << r.note << "\n";
  return r;
}

std::function<void(const exec::TileId &, bool)> testAbortHook() {
  const char *after = std::getenv("SSTEP_TEST_ABORT_AFTER_TILES");
  if (!after)
    return {};
  return [count = int64_t(0), limit = std::atoll(after)](const exec::TileId &,
                                                         bool ran) mutable {
    if (ran && ++count == limit)
      ::kill(::getpid(), SIGKILL);
  };
}

} // namespace sstep
