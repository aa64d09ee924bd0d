//===- TileModel.h - What a backend holds, as the planner sees it -*- C++
//-*-===//
//
// The planner predicts the bytes a backend holds while it runs a tile; for
// that it asks the backend two things without running anything: its steps
// (StageSchedule.h) and the layout of its blocks. A channel-blocked layout
// pads channels up to the block: an 8-channel value held as nChw16c (the cpu
// backend on AVX-512) takes twice the bytes of its NCHW block, as nChw8c
// (AVX2) the same. Values that stay plain (a loaded input, a result of the
// reference kernels) are counted unpadded.
//
// Example: 8-channel values, channel block 16, a 2 x 64 block: 8 KiB plain,
// 16 KiB blocked.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PLAN_TILEMODEL_H
#define SSTEP_RUNTIME_PLAN_TILEMODEL_H

#include "runtime/core/Region.h"
#include "runtime/plan/StageSchedule.h"
#include "runtime/plan/Tiling.h"

#include <vector>

namespace sstep::plan {

/// How a stage's blocks are laid out, as far as their size goes.
struct BlockLayout {
  /// Channels of blocked values are rounded up to a multiple of this.
  int64_t channelBlock = 1;
  /// Per value: whether its blocks are channel-blocked (empty: none are).
  std::vector<bool> blocked;

  /// Bytes of a float32 block of `value` over `region`.
  int64_t bytes(const Program &program, int value, const Region &region) const;
};

/// A backend's answers to the planner. The defaults are plain NCHW blocks
/// and one node a step, which is what the reference backend holds.
class TileModel {
public:
  virtual ~TileModel() = default;
  /// The steps the backend runs `stage`'s tile nodes in.
  virtual StageSchedule schedule(const Program &program, const Stage &stage,
                                 const Stages &stages,
                                 const Sizes &sizes) const;
  /// The layout of the blocks the backend holds while it runs `schedule`.
  virtual BlockLayout layout(const Program &program,
                             const StageSchedule &schedule) const;
};

/// The default model (plain blocks, one node a step).
const TileModel &plainModel();

} // namespace sstep::plan

#endif // SSTEP_RUNTIME_PLAN_TILEMODEL_H
