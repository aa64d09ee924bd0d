//===- StoredValues.h - Where images kept between stages live ---*- C++ -*-===//
//
// An image computed by the tiles of one stage and read by a later one (the
// feature map a squeeze-and-excitation block scales after its global pool,
// an ASPP branch) is kept whole between the two: from the stage computing it
// to the last stage reading it, then released. It lives in memory, or in a
// file of the scratch folder (exec/ScratchImage.h) that tiles write their
// owned blocks into and later tiles read their windows from, so that the
// image's size never enters the process's memory.
//
// The policy: Memory keeps every stored value in memory; Disk puts each that
// may go there on disk; Auto does so when the run has a budget and the
// stored values in memory at once, beside the tile working set, would
// exceed it. A value may go to disk when it is a 4-D image computed by tile
// nodes and read only through tile windows (not read whole by a non-local
// op, which would need it in memory anyway). Outputs are returned or
// streamed block by block, not stored here.
//
// Example: EfficientNet-B0 features on 16384², budget 1 GiB: the first
// block's expansion (32 channels at 8192², 8 GiB) is needed whole only
// because its squeeze-and-excitation scale is known after its last tile.
// Auto writes it to scratch as its tiles finish; the next stage's tiles
// read it back a window at a time; it is deleted after that stage.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PLAN_STOREDVALUES_H
#define SSTEP_RUNTIME_PLAN_STOREDVALUES_H

#include "runtime/plan/Stages.h"
#include "runtime/plan/Tiling.h"

#include <string>

namespace sstep::plan {

enum class StorePolicy { Auto, Memory, Disk };

/// "auto", "memory" or "disk"; throws std::invalid_argument otherwise.
StorePolicy parseStorePolicy(const std::string &text);

struct StoredValue {
  int value = -1;
  /// Its whole image, float32.
  int64_t bytes = 0;
  /// Stored from the start of `firstStage` to the end of `lastStage`.
  int firstStage = 0, lastStage = 0;
  bool mayGoToDisk = false;
  bool onDisk = false;
};

struct StoragePlan {
  /// Every image computed by tiles and stored between stages (outputs
  /// are not).
  std::vector<StoredValue> values;
  /// Per value: the stage after which nothing reads it (-1: kept to the
  /// end: a constant, an output, or read by nothing). Inputs given as
  /// tensors are released too.
  std::vector<int> releaseAfter;
  /// Per value: whether it lives on disk (the executor asks per tile).
  std::vector<bool> disk;
  /// The most bytes of stored images in memory, and on disk, at once.
  int64_t memoryPeakBytes = 0;
  int64_t diskPeakBytes = 0;

  bool onDisk(int value) const {
    return value >= 0 && size_t(value) < disk.size() && disk[value];
  }
};

/// Where `program`'s stored images live for values of `sizes`.
/// `workingSet`: the tiles' predicted bytes, which Auto adds to the stored
/// values' to compare with `budgetBytes` (0: no budget).
StoragePlan planStorage(const Program &program, const Stages &stages,
                        const Sizes &sizes, StorePolicy policy,
                        int64_t budgetBytes, int64_t workingSet);

/// An image the compiler chose to compute again in a later stage rather
/// than store (sstep-recompute): the clone's value, the stage computing it
/// again, and the ops that takes.
struct RecomputedValue {
  int value = -1;
  int stage = 0;
  int ops = 0;
};

/// Each recomputed image of `program` (nodes with `sstep.recomputed`) that a
/// node not itself recomputed reads.
std::vector<RecomputedValue> recomputedValues(const Program &program);

} // namespace sstep::plan

#endif // SSTEP_RUNTIME_PLAN_STOREDVALUES_H
