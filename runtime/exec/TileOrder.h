//===- TileOrder.h - The order a stage's tiles run in -----------*- C++ -*-===//
//
// Row by row, or, for a backend that keeps rows, column by column with each
// tile chained to the one above it and each chain primed a few rows at a
// time (halo.md, section 7). The executor runs tiles in this order, tells
// its sources what they will read in it, and counts resumed tiles by their
// position in it (Checkpoint.h).
//
// Example: a 3 x 2 grid of chained strips runs (0,0) (1,0) (2,0) (0,1)
// (1,1) (2,1), with priming tiles before (0,0) and (0,1).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_EXEC_TILEORDER_H
#define SSTEP_RUNTIME_EXEC_TILEORDER_H

#include "runtime/exec/Executor.h"

#include <vector>

namespace sstep::exec {

/// The tiles of a stage in the order they run: row by row, or column by
/// column, top to bottom, when the backend chains each tile to the one
/// above it (StageTiling::windowsBelow). A chain's first tile runs after
/// its priming tiles (StageTiling::primingWindows), so that no tile holds
/// its whole halo at once.
class TileOrder {
public:
  TileOrder(const plan::StageTiling &tiling, bool chained, int64_t rows)
      : tiling(tiling), chained(chained), primingRows(rows) {}

  /// What `walk` gives for each tile: the tile, and its windows. `ran` is
  /// what `wanted` said (or true); a priming tile comes with its chain's
  /// first tile's id and `priming` set.
  struct Visit {
    TileId id;
    plan::TileWindows *windows;
    bool ran, reused, priming;
  };

  /// Calls `visit` for every tile of stage `stage` in order, priming tiles
  /// included, and skips the tiles `wanted` refuses (a chain then restarts
  /// below them).
  template <typename Wanted, typename Visitor>
  void walk(int stage, const Wanted &wanted, const Visitor &visit) const {
    plan::TileWindows w, next;
    bool reused = false; // tile i reuses what tile i - 1 computed
    for (int64_t i = 0; i < count(); ++i) {
      TileId id = at(stage, i);
      w = reused ? std::move(next) : tiling.windows(id.row, id.col);
      bool ran = wanted(id, w);
      if (ran && !reused && chained) {
        std::vector<plan::TileWindows> primes =
            tiling.primingWindows(id.row, id.col, primingRows);
        for (size_t k = 0; k < primes.size(); ++k) {
          plan::TileWindows &prime = primes[k];
          if (k + 1 < primes.size())
            plan::keepFor(prime, primes[k + 1]);
          else {
            w = tiling.windowsBelow(prime, id.row, id.col);
            plan::keepFor(prime, w);
          }
          visit(Visit{id, &prime, true, k > 0, true});
        }
      }
      bool chainedBelow = ran && chain(stage, i, w, next);
      visit(Visit{id, &w, ran, reused, false});
      reused = chainedBelow;
    }
  }

private:
  int64_t count() const { return tiling.tiles(); }
  /// The `i`-th tile to run; its index stays the row-major one.
  TileId at(int stage, int64_t i) const {
    Size2 grid = tiling.grid();
    int64_t row = chained ? i % grid[0] : i / grid[1];
    int64_t col = chained ? i / grid[0] : i % grid[1];
    return {stage, row, col, row * grid[1] + col, count()};
  }
  /// Whether tile `i + 1` is chained to tile `i`; if so, sets `below` to its
  /// windows and `above.keep` to what it reuses.
  bool chain(int stage, int64_t i, plan::TileWindows &above,
             plan::TileWindows &below) const {
    if (!chained || i + 1 >= count())
      return false;
    TileId now = at(stage, i), next = at(stage, i + 1);
    if (now.col != next.col || now.row + 1 != next.row)
      return false;
    below = tiling.windowsBelow(above, next.row, next.col);
    plan::keepFor(above, below);
    return true;
  }

  const plan::StageTiling &tiling;
  bool chained;
  int64_t primingRows;
};

} // namespace sstep::exec

#endif // SSTEP_RUNTIME_EXEC_TILEORDER_H
