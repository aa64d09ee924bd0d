//===- TiledInterpreter.h - Runs a partitioned Program tile by tile -*- C++
//-*-===//
//
// The reference backend's tiled execution: each stage's tiles run one after
// another with the windows runtime/plan infers, reductions combine per-tile
// partial results, and whole and global nodes run between the tile groups.
// Its outputs equal the whole-image interpreter's (the invariant the tests
// check); a window that misses a pixel a kernel reads is an internal error,
// never a wrong answer.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_REFERENCE_TILEDINTERPRETER_H
#define SSTEP_RUNTIME_REFERENCE_TILEDINTERPRETER_H

#include "runtime/core/Program.h"
#include "runtime/core/Region.h"

#include <vector>

namespace sstep::reference {

/// What a tiled run did.
struct TiledStats {
  /// Tiles per stage.
  std::vector<Size2> grids;
  int64_t tilesRun = 0;
  /// The largest working set of one tile: bytes of the blocks it holds
  /// after each node (runtime/plan's MemoryPlan predicts this figure).
  int64_t peakTileBytes = 0;
};

/// Runs partitioned `program` on `inputs` in tiles of `tileEdge` pixels of
/// its first input (0: one tile per stage). Throws RuntimeError as run()
/// does.
std::vector<Tensor> runTiled(const Program &program, std::vector<Tensor> inputs,
                             int64_t tileEdge, TiledStats *stats = nullptr);

} // namespace sstep::reference

#endif // SSTEP_RUNTIME_REFERENCE_TILEDINTERPRETER_H
