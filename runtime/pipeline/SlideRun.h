//===- SlideRun.h - A model run over a whole slide level --------*- C++ -*-===//
//
// The slide pipeline: a SlideSource decodes the level ahead of the tiles, the
// executor runs the program tile by tile, and image outputs stream through a
// writer thread into spill files, and from there into TIFF, HDF5 or .npy
// files as their bands fill. Memory holds the tile working set, the reader's
// tile cache and a few queued regions and blocks, whatever the slide's size
// (outputs returned whole, such as a classifier's logits, are small).
//
// Single-stage programs without reductions whose outputs all stream resume
// after a crash from their journal (Journal.h), and may skip tiles without
// tissue: a tile whose share of the level holds no tissue (TissueMask) is not
// computed and its output block takes the background value; tiles touching
// tissue run in full, so the output over tissue is exact. Programs of
// several stages whose stored images live on disk resume from checkpoints
// (exec/Checkpoint.h) in a folder of the scratch folder; others start from
// scratch each time.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PIPELINE_SLIDERUN_H
#define SSTEP_RUNTIME_PIPELINE_SLIDERUN_H

#include "runtime/exec/Executor.h"
#include "runtime/pipeline/Journal.h"
#include "runtime/pipeline/OutputFormat.h"
#include "runtime/pipeline/SlideBands.h"
#include "runtime/pipeline/SlideSource.h"
#include "runtime/slide/SlideReader.h"

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace sstep::pipeline {

struct SlideOutputFile {
  /// The program's output index, and where it goes (format by extension).
  size_t index = 0;
  std::string path;
};

struct SlideRunOptions {
  int level = 0;
  Normalization normalization;
  std::vector<SlideOutputFile> outputs;
  /// TIFF sample type and compression, HDF5 attributes (the pipeline adds
  /// the resolution).
  OutputOptions format;
  /// Skip tiles without tissue (single-stage programs only).
  bool tissueMask = false;
  /// With tissueMask: the mask from this PNG (TissueMask::fromFile) instead
  /// of one computed from the slide.
  std::string maskFile;
  /// The value of every channel of a skipped tile's output block.
  float background = 0;
  /// Bytes of decoded regions kept ahead of the tiles: as many regions as
  /// fit, one to four (at least one, so decoding overlaps compute).
  int64_t readAheadBytes = int64_t(256) << 20;
  /// When positive (a budgeted run, plan::StreamModel), the regions decoded
  /// ahead and the bytes of output blocks the writer may queue, instead of
  /// readAheadBytes' share and the writer's default bound.
  int64_t readAheadRegions = 0;
  int64_t writerQueueBytes = 0;
  /// Progress lines on `log`, starting with `tool`; `terminal` rewrites one
  /// line in place.
  bool progress = true;
  std::string tool = "sstep-run";
  bool terminal = false;
  std::FILE *log = stderr;
  /// More of the command that must match for a resume (the backend's name).
  std::string fingerprint;
  /// Called after each tile, run or skipped, with the tiles done and in all
  /// of its stage and the input megapixels per second so far. An exception
  /// it throws stops the run; a resumable run keeps what it has written.
  std::function<void(int64_t done, int64_t total, double mps)> onTile;
  /// Test hook: after this many tiles have run (0: never), wait until their
  /// blocks are journaled, then kill the process with SIGKILL.
  int64_t abortAfterTiles = 0;
  /// Test hook: after this many tiles have run (0: never), stop the process
  /// (SIGSTOP) so that a test can change the world (truncate or remove the
  /// slide) before it continues the run with SIGCONT.
  int64_t stopAfterTiles = 0;
  /// The folder of the stored images the plan puts on disk (empty:
  /// $TMPDIR, else /tmp); a run of several stages keeps its checkpoints in
  /// OUTPUT.resume there (empty: beside the first output).
  std::string scratchFolder;
  /// A run of several stages saves a checkpoint at the start of each stage
  /// and, between tiles, this often.
  double checkpointSeconds = 30;
  /// This process's band of a slide split across processes (SlideBands.h):
  /// rank 0 writes the outputs once every band is done.
  SlideBand band;
};

struct SlideRunReport {
  exec::Stats stats;
  /// Per program output: the tensor when written from memory (.npy of a
  /// non-image, .json), else empty.
  std::vector<Tensor> outputs;
  Size2 level{0, 0};
  int64_t tileEdge = 0;
  /// Rows per tile as run; 0: square tiles of tileEdge.
  int64_t tileRows = 0;
  /// Whether the run could resume; how its journal started; tiles found
  /// done in it, skipped for lack of tissue, and left to run.
  bool resumable = false;
  Journal::Start journal = Journal::Start::Fresh;
  /// A run of several stages resuming from checkpoints: their folder (else
  /// empty); why a run that cannot resume cannot.
  std::string checkpointFolder, notResumable;
  int64_t tilesResumed = 0, tilesBackground = 0, tilesToRun = 0;
  /// Wall time of the run and of converting the spill files at its end;
  /// decode time (read-ahead thread and synchronous reads), writer time and
  /// the time tiles waited for room in the writer's queue.
  double seconds = 0, finishSeconds = 0, decodeSeconds = 0, writerSeconds = 0,
         writerBlockedSeconds = 0;
  int64_t prefetchedReads = 0, synchronousReads = 0;
  /// Output bands (TIFF tile rows, HDF5 chunk rows) encoded while tiles
  /// were still running, rather than at the end.
  int64_t bandsEarly = 0;
};

/// Runs `program` (partitioned) on `backend` as `plan` says (made for the
/// level's size with TileRequest::slide) over level `options.level` of
/// `reader`, writing `options.outputs`. Throws RuntimeError (bad input) or
/// slide::SlideError (unreadable slide).
SlideRunReport runSlide(const Program &program, const plan::ExecutionPlan &plan,
                        exec::Backend &backend,
                        const slide::SlideReader &reader,
                        const SlideRunOptions &options);

} // namespace sstep::pipeline

#endif // SSTEP_RUNTIME_PIPELINE_SLIDERUN_H
