//===- CpuBackend.h - The oneDNN CPU backend ---------------------*- C++
//-*-===//
//
// Runs a stage's tile nodes with oneDNN 2.6 primitives on all cores:
// convolutions with their bias, element-wise functions and residual sum
// fused as post-ops, pooling, element-wise and binary ops, and channel
// concatenation, in one channel-blocked layout kept across the whole tile.
// Primitives and pre-packed weights are created once per tile shape and
// reused, within a bound (PrimitiveCache.h). Ops oneDNN lacks (resize, pad,
// transposed convolution, norms, ...) run on the reference kernels for that
// block, so every program runs.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CPU_CPUBACKEND_H
#define SSTEP_RUNTIME_CPU_CPUBACKEND_H

#include "runtime/cpu/Blocks.h"
#include "runtime/cpu/CpuTileModel.h"
#include "runtime/cpu/Fusion.h"
#include "runtime/exec/Backend.h"

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace sstep::cpu {

/// What the backend did, for --stats and tests.
struct CpuCounters {
  int64_t fusedSteps = 0;     ///< Steps with post-ops, per tile.
  int64_t dnnlNodes = 0;      ///< Node executions on oneDNN.
  int64_t referenceNodes = 0; ///< Node executions on the reference kernels.
  int64_t nativeNodes = 0;    ///< Node executions on the backend's own.
  int64_t keptBlocks = 0;     ///< Blocks completed from rows kept from above.
  int64_t packedWeightBytes = 0; ///< All layouts of all weights packed.
  int64_t weightReads = 0;       ///< Weights read from the plan and packed.
  int64_t inPlaceSums = 0;       ///< Residual sums into the residual's block.
};

class CpuBackend : public exec::Backend {
public:
  /// `threads` > 0 caps oneDNN's and the reference kernels' threads while
  /// this backend runs.
  explicit CpuBackend(int threads = 0);
  ~CpuBackend() override;

  std::string name() const override { return "cpu"; }
  std::vector<Tensor> runOnce(const Node &node,
                              const std::vector<const Tensor *> &) override;
  plan::StageSchedule schedule(const Program &program, const plan::Stage &stage,
                               const plan::Stages &stages,
                               const plan::Sizes &sizes) const override {
    return model.schedule(program, stage, stages, sizes);
  }
  plan::BlockLayout layout(const Program &program,
                           const plan::StageSchedule &schedule) const override {
    return model.layout(program, schedule);
  }
  void beginStage(const Program &program, const plan::Stage &stage,
                  const plan::StageSchedule &schedule,
                  const plan::Sizes &sizes) override;
  int64_t runTile(const plan::Stage &stage, const plan::TileWindows &w,
                  exec::TileContext &context) override;
  bool keepsRows() const override { return true; }
  void constantsChanged(const std::vector<int> &values) override;

  std::map<std::string, int64_t> counters() const override;
  std::map<std::string, double> opSeconds() const override { return seconds; }

  struct Cache; // primitives and packed weights, by shape

private:
  const Block &blockOf(int v);
  const Tensor &whole(int v) { return context->whole(v); }
  Block runStep(const Step &step);
  Block runConv(const Step &step);
  /// Convolution node `id`'s weights in `layout`, packed once per layout
  /// from its weights constant, which is in `plain` layout.
  memory packedWeights(int id, const memory::desc &layout,
                       const memory::desc &plain);
  /// Node `id`'s bias constant (operand 2, `channels` values) as oneDNN
  /// memory, wrapped once.
  memory biasOf(int id, int64_t channels);
  /// Value `v`'s block, taken out of the tile to be overwritten, when it is
  /// exactly `region` in layout `desc`, nothing else holds it, and no later
  /// step or tile reads it.
  std::optional<Block> takeDying(int v, const Region &region,
                                 const memory::desc &desc);
  Block runPool(const Node &node);
  Block runEltwise(const Node &node, const Eltwise &eltwise);
  Block runBinary(const Node &node);
  Block runConcat(const Node &node);
  /// A layer norm over channels (LayerNorm.cpp), in its input's layout.
  Block runLayerNorm(const Node &node);
  /// A nearest or linear resize (Resize.cpp), in its input's layout.
  Block runResize(const Node &node);
  /// A transposed convolution on oneDNN's deconvolution
  /// (ConvTransposeStep.cpp).
  Block runConvTranspose(const Node &node);
  /// A slice or shuffle of channels (ChannelGather.cpp), in its input's
  /// layout.
  Block runChannelGather(const Node &node);
  Block runCrop(const Node &node);
  Block runReference(const Node &node);
  /// Runs `node` on oneDNN when it can, else on the reference kernels.
  Block runNode(const Node &node);
  /// Value `v`'s block over its window; `compute` makes the block of the
  /// window it finds in `w`, which is narrowed to the fresh rows of `results`
  /// when the tile above kept the others.
  Block produce(int v, const std::vector<int> &results,
                const std::function<Block()> &compute);
  /// Drops `v`'s block, keeping the rows the tile below reuses.
  void release(int v);
  int64_t liveBytes() const;

  void useThreads() const;

  CpuTileModel model;
  int threads = 0;
  Device device;
  std::unique_ptr<Cache> cache;
  CpuCounters count;
  memory::format_tag blocked;
  const Program *program = nullptr;
  const plan::Sizes *sizes = nullptr;
  /// The stage's steps (the schedule's, with their residual sums) and what
  /// each releases.
  plan::StageSchedule stageSchedule;
  std::vector<Step> steps;
  /// Seconds by kind of step (Backend::opSeconds), and where each step of
  /// the stage, and the tiles' outputs, add theirs (found once a stage).
  std::map<std::string, double> seconds;
  std::vector<double *> stepSeconds;
  double *outputSeconds = nullptr;
  /// The current tile: its windows, narrowed while a step computes fresh
  /// rows only, its blocks, and the rows kept from the tile above.
  plan::TileWindows windows;
  const plan::TileWindows *w = &windows;
  exec::TileContext *context = nullptr;
  std::map<int, Block> tile;
  std::map<int, Block> kept;
  /// The step of `steps` running.
  size_t currentStep = 0;
  /// The most bytes of blocks held at once in the current tile.
  int64_t peak = 0;
};

} // namespace sstep::cpu

#endif // SSTEP_RUNTIME_CPU_CPUBACKEND_H
