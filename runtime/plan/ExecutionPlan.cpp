//===- ExecutionPlan.cpp - Every decision of a run, made once -------------===//

#include "runtime/plan/ExecutionPlan.h"
#include "runtime/core/RuntimeError.h"

#include <algorithm>

namespace sstep::plan {

int64_t chooseSlideTileEdge(const Program &program, const Stages &stages,
                            Size2 size, int64_t budgetBytes,
                            const TileModel &model, const StreamModel *stream) {
  int64_t fits =
      chooseTileEdge(program, stages, size, budgetBytes, model, stream);
  if (stages.stages.empty() || program.inputs.size() != 1)
    return fits;
  Sizes sizes = predictSizes(program, stages, size);
  const int input = program.inputs[0];
  int64_t edge = 4096;
  for (int64_t candidate : {1024, 2048}) {
    StageTiling tiling(program, stages.stages[0], sizes, candidate);
    if (tiling.tiles() == 0)
      break;
    int64_t r = std::min<int64_t>(1, tiling.grid()[0] - 1);
    int64_t c = std::min<int64_t>(1, tiling.grid()[1] - 1);
    double window = double(tiling.windows(r, c).compute[input].pixels());
    if (window <= 1.2 * double(tiling.share(input, r, c).pixels())) {
      edge = candidate;
      break;
    }
  }
  return std::min(edge, fits);
}

namespace {

TileShape chooseShape(const Program &program, const Stages &stages, Size2 input,
                      const BackendTraits &backend,
                      const TileRequest &request) {
  if (request.fixed.edge > 0)
    return request.fixed;
  if (request.memoryBudget <= 0) {
    if (request.slide)
      throw RuntimeError("a slide run needs a tile size or a memory budget");
    return {};
  }
  const TileModel &model = *backend.model;
  if (!request.slide)
    return chooseTiles(program, stages, input, request.memoryBudget,
                       backend.chainsTiles, model, request.stream);
  // Chained strips compute every row once: no halo to trade against the
  // tile size, so the widest strip that fits the budget.
  if (backend.chainsTiles)
    return chooseStrips(program, stages, input, request.memoryBudget, model,
                        request.stream);
  return {chooseSlideTileEdge(program, stages, input, request.memoryBudget,
                              model, request.stream),
          0};
}

/// The stream buffers a run holds: a slide run sizes its buffers by the
/// figures only when it has a budget (else they take their defaults).
const StreamModel *countedStream(const TileRequest &request) {
  return request.slide && request.memoryBudget <= 0 ? nullptr : request.stream;
}

} // namespace

ExecutionPlan planExecution(const Program &program, Size2 input,
                            const BackendTraits &backend,
                            const TileRequest &request) {
  ExecutionPlan p;
  p.stages = planStages(program);
  p.input = input;
  p.chained = backend.chainsTiles;
  p.tiles = chooseShape(program, p.stages, input, backend, request);
  if (input[0] > 0 && input[1] > 0)
    p.memory = predictMemory(program, p.stages, input, p.tiles.edge,
                             TileRows{p.tiles.rows, p.chained}, *backend.model,
                             countedStream(request));
  Sizes sizes = input[0] > 0 && input[1] > 0
                    ? predictSizes(program, p.stages, input)
                    : Sizes(program.values.size(), Size2{-1, -1});
  p.storage = planStorage(program, p.stages, sizes, request.store,
                          request.memoryBudget, p.memory.workingSet());
  return p;
}

} // namespace sstep::plan
