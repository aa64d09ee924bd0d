//===- CpuTileModel.h - What the cpu backend holds, for the planner -*- C++
//-*-===//
//
// The cpu backend's answers to the planner (plan::TileModel), without making
// a backend (which would set process-wide thread counts): its steps are
// planSteps' (a convolution with its fused post-ops is one step), and a
// value is channel-blocked (nChw16c on AVX-512, nChw8c on AVX2) when a
// oneDNN primitive computes it. Loaded values and the reference kernels'
// results stay plain NCHW; an element-wise op keeps its operand's layout.
//
// Example: on AVX-512, `y = conv(x)` with 8 channels each: x (loaded) is
// counted at 8 channels, y at 16.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CPU_CPUTILEMODEL_H
#define SSTEP_RUNTIME_CPU_CPUTILEMODEL_H

#include "runtime/plan/TileModel.h"

namespace sstep::cpu {

class CpuTileModel : public plan::TileModel {
public:
  /// `channelBlock`: the blocked layout's channel block; 0: the one oneDNN
  /// picks on this CPU.
  explicit CpuTileModel(int64_t channelBlock = 0);

  plan::StageSchedule schedule(const Program &program, const plan::Stage &stage,
                               const plan::Stages &stages,
                               const plan::Sizes &sizes) const override;
  plan::BlockLayout layout(const Program &program,
                           const plan::StageSchedule &schedule) const override;

  int64_t channelBlock() const { return block; }

private:
  int64_t block;
};

/// The channel block of the layout oneDNN's fastest kernels use on this
/// CPU: 16 with AVX-512, else 8.
int64_t nativeChannelBlock();

} // namespace sstep::cpu

#endif // SSTEP_RUNTIME_CPU_CPUTILEMODEL_H
