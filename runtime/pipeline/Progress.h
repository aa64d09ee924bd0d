//===- Progress.h - Tiles done, throughput and time left --------*- C++ -*-===//
//
// A slide run lasts minutes to hours, so it says how far it is: tiles done of
// the stage's total (skipped ones count as done), tiles and input megapixels
// per second over the tiles that ran, and the time left for the tiles still
// to run. On a terminal one line is rewritten in place a few times a second;
// in a log (not a terminal) a plain line is written every few seconds.
//
// Example: "sstep-run: tiles 120/480 (25%), 3.2 tiles/s, 12.5 MP/s, ETA 1m52s"
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PIPELINE_PROGRESS_H
#define SSTEP_RUNTIME_PIPELINE_PROGRESS_H

#include "runtime/exec/Executor.h"

#include <chrono>
#include <cstdio>
#include <string>

namespace sstep::pipeline {

/// One progress line (without a newline). `stages` > 1 adds "stage s/S"
/// (`stage` counts from 0). A finished stage shows its time, not an ETA.
/// The line starts with `tool`'s name and counts `unit` ("tiles",
/// "patches").
std::string formatProgress(int stage, int stages, int64_t done, int64_t total,
                           double tilesPerSecond, double megapixelsPerSecond,
                           double seconds, bool finished,
                           const std::string &tool = "sstep-run",
                           const std::string &unit = "tiles");

/// "4.5s", "45s", "3m05s", "2h07m"; "?" for a negative or infinite time.
std::string formatDuration(double seconds);

class Progress {
public:
  /// Writes to `out` (stderr) when `enabled`; `terminal` rewrites one line.
  /// `stages` counts the stages that have tiles.
  Progress(std::FILE *out, bool enabled, bool terminal, int stages,
           std::string tool = "sstep-run", std::string unit = "tiles");

  /// Of stage 0's tiles, how many will run (the others are skipped); by
  /// default all of them.
  void setTilesToRun(int64_t tiles) { firstStageToRun_ = tiles; }
  /// After each tile, run or skipped; `inputPixels` is its share of the
  /// input (for MP/s).
  void tile(const exec::TileId &id, bool ran, double inputPixels);
  /// Ends the last line.
  void end();

private:
  void print(bool final);

  std::FILE *out_;
  bool enabled_, terminal_;
  int stages_;
  std::string tool_, unit_;
  int64_t firstStageToRun_ = -1;
  /// The executor's stage, and how many stages with tiles came before.
  int stage_ = -1, ordinal_ = -1;
  int64_t done_ = 0, total_ = 0, ran_ = 0, toRun_ = 0;
  double pixels_ = 0;
  std::chrono::steady_clock::time_point stageStart_, lastPrint_;
  size_t lastWidth_ = 0;
};

} // namespace sstep::pipeline

#endif // SSTEP_RUNTIME_PIPELINE_PROGRESS_H
