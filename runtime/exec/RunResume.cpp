//===- RunResume.cpp - A run's checkpoints, saved and resumed -------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/exec/Run.h"

namespace sstep::exec::detail {

void Run::skipStage(int index) {
  plan::StageTiling tiling = plan.tiling(program, size_t(index), sizes);
  stats.grids.push_back(tiling.grid());
  orderOf(tiling).walk(
      index, [](const TileId &, const plan::TileWindows &) { return false; },
      [&](const TileOrder::Visit &t) {
        ++stats.tilesSkipped;
        ++stats.tilesResumed;
        if (options.resumed)
          options.resumed(t.id, *t.windows);
        if (options.progress)
          options.progress(t.id, false);
      });
}

void Run::restore(const Checkpoints &checkpoints) {
  const Checkpoint &c = *checkpoints.found();
  auto check = [&](int v) {
    if (v < 0 || size_t(v) >= program.values.size())
      throw RuntimeError("checkpoint in " + checkpoints.folder() +
                         " names value " + std::to_string(v) +
                         ", which the model does not have");
  };
  for (auto &[v, t] : checkpoints.foundValues()) {
    check(v);
    store(v, std::move(t));
  }
  for (const auto &[v, image] : c.images) {
    check(v);
    onDisk[v] = std::make_unique<ScratchImage>(
        checkpoints.imagePath(v), program.values[v].name, image.shape,
        image.interleaved, /*reopen=*/true);
  }
  // The stages skipped size their tiles from values not restored.
  plan::Sizes predicted = plan::predictSizes(program, stages, plan.input);
  for (size_t v = 0; v < sizes.size(); ++v)
    if (sizes[v][0] < 0)
      sizes[v] = predicted[v];
  resumeStage = c.stage;
  resumeTiles = c.tilesDone;
  resumeReductions = c.reductions;
}

void Run::checkpoint(int stage, int64_t tilesDone, bool values) {
  Checkpoint c;
  c.stage = stage;
  c.tilesDone = tilesDone;
  for (const auto &[id, reducer] : reducers)
    c.reductions[id] = reducer.state();
  for (size_t v = 0; v < onDisk.size(); ++v)
    if (onDisk[v]) {
      onDisk[v]->sync();
      c.images[int(v)] = {onDisk[v]->shape(), onDisk[v]->interleaved()};
    }
  if (values) {
    std::map<int, const Tensor *> held;
    for (size_t v = 0; v < stored.size(); ++v)
      if (!stored[v].data.empty() && !program.constants.contains(int(v)))
        held[int(v)] = &stored[v];
    options.checkpoints->saveValues(stage, held);
  }
  options.checkpoints->save(c);
}

} // namespace sstep::exec::detail
