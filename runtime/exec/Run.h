//===- Run.h - One execution of a Program, the executor's own -*- C++ -*-===//
//
// Executor.cpp runs a partitioned Program stage by stage through this class;
// the images kept between stages (RunStored.cpp) and the checkpoints a run
// saves and resumes from (RunResume.cpp) are its other two parts.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_EXEC_RUN_H
#define SSTEP_RUNTIME_EXEC_RUN_H

#include "runtime/exec/Executor.h"
#include "runtime/exec/Reducer.h"
#include "runtime/exec/ScratchImage.h"
#include "runtime/exec/TileOrder.h"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sstep::exec::detail {

using Clock = std::chrono::steady_clock;

inline double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Where stored images on disk go: options.scratchFolder, else $TMPDIR,
/// else /tmp.
std::string scratchFolderOf(const Options &options);

class Run : public TileContext {
public:
  Run(const Program &program, const plan::ExecutionPlan &plan, Backend &backend,
      const Options &options, Stats &stats)
      : program(program), plan(plan), backend(backend), options(options),
        stats(stats), stages(plan.stages) {}

  std::vector<Tensor> run(std::vector<Tensor> inputs);

  Tensor load(int value, const Region &region) override;
  const Tensor &whole(int value) override;
  void sink(int value, Tensor block) override;

private:
  void bindInputs(std::vector<Tensor> &inputs);
  /// Routes sink `v`'s block of a completed tile with windows `w` of
  /// `stage` to stored values, reductions and streamed outputs.
  void route(const plan::Stage &stage, const plan::TileWindows &w, int v,
             const Tensor &block);
  /// A job for a tile with windows `w`, its blocks from outside the stage
  /// loaded.
  std::unique_ptr<TileJob> jobFor(const plan::Stage &stage,
                                  const std::vector<int> &blockInputs,
                                  const plan::TileWindows &w);
  void runStage(int index);
  /// A stage a resumed run finds done: its tiles are reported resumed.
  void skipStage(int index);
  /// Takes up where the checkpoint found in options.checkpoints stood.
  void restore(const Checkpoints &checkpoints);
  /// Saves a checkpoint: `stage`'s first `tilesDone` tiles are done, and
  /// with `values`, its global nodes have just run.
  void checkpoint(int stage, int64_t tilesDone, bool values);
  /// Whether tile `position` (in run order) of stage `index` was done by
  /// the run that saved the checkpoint this one resumed from.
  bool doneBefore(int index, int64_t position) const {
    return index < resumeStage ||
           (index == resumeStage && position < resumeTiles);
  }
  void runTiles(int index, const plan::StageTiling &tiling,
                const plan::StageSchedule &schedule);
  void runOnce(int id);
  void store(int v, Tensor t);
  /// Pastes a tile's owned block of stored image `v` in memory or on disk.
  void keep(int v, const Tensor &block, const Region &computed,
            const Region &owned);
  /// Drops the stored values no stage after `index` reads.
  void release(int index);
  /// Closes value `v`'s scratch file, if any, counting its bytes.
  void closeScratch(size_t v);
  /// Updates the peaks of stored bytes, after an image was allocated.
  void countStored();
  std::vector<Region> sourceReads(int index, const plan::Stage &stage,
                                  const plan::StageTiling &tiling);
  TileOrder orderOf(const plan::StageTiling &tiling) const;
  void stream(size_t output, const Region &region, const Tensor &block);

  const Program &program;
  const plan::ExecutionPlan &plan;
  Backend &backend;
  const Options &options;
  Stats &stats;
  const plan::Stages &stages;
  std::vector<Tensor> stored;
  /// The stored images the plan puts on disk, once their first block came.
  std::vector<std::unique_ptr<ScratchImage>> onDisk;
  plan::Sizes sizes;
  /// Per value: the source it streams from, the outputs it streams to,
  /// and whether a node outside its tile group reads it.
  std::vector<InputSource *> source;
  std::vector<std::vector<size_t>> streamedAs;
  std::vector<bool> readWhole;
  std::vector<bool> begun;
  std::map<int, Reducer> reducers;
  int64_t sequence = 0;
  /// Where the checkpoint resumed from stood (-1: not resumed).
  int resumeStage = -1;
  int64_t resumeTiles = 0;
  std::map<int, Reducer::State> resumeReductions;
};

} // namespace sstep::exec::detail

#endif // SSTEP_RUNTIME_EXEC_RUN_H
