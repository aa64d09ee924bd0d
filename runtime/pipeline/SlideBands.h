//===- SlideBands.h - One slide split across processes ----------*- C++ -*-===//
//
// A slide too large for one node's time runs on several MPI ranks: rank r
// runs band r, a run of whole tile rows, and every rank writes its blocks
// into the one spill file per output (fixed offsets: disjoint pwrites), with
// a journal of its own. When all are done, rank 0 encodes the outputs from
// the spill files, so the result is byte for byte the single process's: the
// tiles are the same tiles, and a tile that does not run here is one a
// resumed run would skip. Bands are balanced by the tiles they run (tissue
// tiles, with a mask), as whole rows allow:
//
//   rows run:  [4, 4, 0, 0, 4, 4]   2 ranks -> rows [0, 2) and [2, 6)
//
// Only models that can resume split (one tiled stage, outputs streamed):
// everything else needs the whole level in one place.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PIPELINE_SLIDEBANDS_H
#define SSTEP_RUNTIME_PIPELINE_SLIDEBANDS_H

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace sstep::pipeline {

/// This process's part of a slide split across `ranks` processes.
struct SlideBand {
  int rank = 0, ranks = 1;
  /// Returns once every rank has called it (MPI_Barrier, politely).
  std::function<void()> barrier;
  bool split() const { return ranks > 1; }
};

/// Tile rows [first, last) of band `rank` of `ranks`, where `runs[i]` is the
/// number of tiles row i runs: contiguous, covering every row once, with the
/// tiles to run as even as whole rows allow (rows split evenly when none
/// runs).
std::pair<int64_t, int64_t> bandRows(const std::vector<int64_t> &runs, int rank,
                                     int ranks);

/// The journal of band `rank` of `ranks` beside `journal` (OUT.journal ->
/// OUT.journal.1of4).
std::string bandJournal(const std::string &journal, int rank, int ranks);

/// Removes every band journal beside `journal`, of any split.
void removeBandJournals(const std::string &journal);

} // namespace sstep::pipeline

#endif // SSTEP_RUNTIME_PIPELINE_SLIDEBANDS_H
