//===- Backward.cpp - Exact gradients of a trunk, one tile at a time ------===//

#include "runtime/train/Backward.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/plan/Stages.h"
#include "runtime/train/BackwardPlan.h"
#include "runtime/train/BackwardSchedule.h"

#include <algorithm>
#include <chrono>

namespace sstep::train {
namespace {

using reference::VjpArgs;

bool allZero(const Tensor &t) {
  return std::all_of(t.data.begin(), t.data.end(),
                     [](float v) { return v == 0.0f; });
}

int64_t bytesOf(const std::map<int, Tensor> &blocks) {
  int64_t bytes = 0;
  for (const auto &[v, t] : blocks)
    bytes += t.size() * int64_t(sizeof(float));
  return bytes;
}

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void addInto(std::vector<double> &acc, const Tensor &t) {
  for (int64_t i = 0; i < t.size(); ++i)
    acc[size_t(i)] += t.data[i];
}

/// A tensor in memory as the input: each read copies its block.
class TensorSource : public exec::InputSource {
public:
  explicit TensorSource(const Tensor &t) : t(t) {}
  Shape shape() const override { return t.shape; }
  Tensor read(const Region &region) override {
    if (t.rank() != 4)
      throw RuntimeError("the input must be an NCHW image, not " +
                         formatShape(t.shape));
    return crop(t, Region::whole({t.dim(2), t.dim(3)}), region);
  }

private:
  const Tensor &t;
};

/// One backward run: the program's stage, its tiling and the sums.
class Run {
public:
  /// Checks the input and the output gradient against the program.
  Run(const Program &program, exec::InputSource &input,
      const Tensor &outputGrad, const BackwardOptions &options);
  /// Every tile, then the sums.
  Gradients run();

private:
  /// The tile's steps (BackwardSchedule.h): forward blocks, recomputed
  /// ones, and the VJPs from `seed`, the output gradient over its owned
  /// block; then its input gradient added into the image's.
  void runTile(const plan::TileWindows &w, const Tensor &seed);
  void forwardStep(const Node &node, const plan::TileWindows &w);
  void vjpStep(const Node &node, const plan::TileWindows &w);
  void addInputGradient(const plan::TileWindows &w);
  const Tensor &blockOf(int v, const plan::TileWindows &w);
  /// A constant, or nothing for a size-only operand (its size is in the
  /// windows the kernels are given).
  const Tensor &wholeOf(int v) const;
  void note();
  Gradients finish();

  const Program &program;
  exec::InputSource &input;
  const Shape inputShape;
  const Tensor &outputGrad;
  const BackwardOptions &options;
  GradKernels referenceKernels;
  GradKernels *kernels;
  plan::Stages stages;
  plan::Sizes sizes;
  int in, out;
  BackwardSchedule schedule;
  std::map<int, Tensor> blocks, grads;
  std::map<int, std::vector<double>> constantSums;
  /// In float: a pixel's gradient sums the tiles whose windows overlap
  /// there (a handful where tiles are larger than their halos, a weight's
  /// every tile: those sums are in double). Saves 12 bytes an element.
  Tensor inputSum;
  BackwardStats stats;
};

Run::Run(const Program &program, exec::InputSource &input,
         const Tensor &outputGrad, const BackwardOptions &options)
    : program(program), input(input), inputShape(input.shape()),
      outputGrad(outputGrad), options(options),
      kernels(options.kernels ? options.kernels : &referenceKernels),
      stages(plan::planStages(program)), in(program.inputs[0]),
      out(program.outputs[0]) {
  if (inputShape.size() != 4)
    throw RuntimeError("the input must be an NCHW image, not " +
                       formatShape(inputShape));
  sizes = plan::predictSizes(program, stages, {inputShape[2], inputShape[3]});
  schedule = backwardSchedule(program, stages.stages.at(0),
                              std::max(1, options.segments),
                              valueBytes(program, sizes, inputShape));
  stats.segments = int(schedule.segmentStarts.size());
  Shape want = inputShape;
  want[1] = program.values[out].shape[1];
  want[2] = sizes[out][0];
  want[3] = sizes[out][1];
  if (outputGrad.shape != want)
    throw RuntimeError("the output gradient has shape " +
                       formatShape(outputGrad.shape) + ", the output " +
                       formatShape(want));
}

Gradients Run::run() {
  if (options.inputGradient)
    inputSum = Tensor(inputShape);
  auto start = Clock::now();
  const plan::Stage &stage = stages.stages.at(0);
  plan::StageTiling tiling(program, stage, sizes, options.tiles);
  for (int64_t r = 0; r < tiling.grid()[0]; ++r)
    for (int64_t c = 0; c < tiling.grid()[1]; ++c) {
      plan::TileWindows w = tiling.windows(r, c);
      const Region &owned = w.owned[out];
      Tensor seed = crop(outputGrad, Region::whole(sizes[out]), owned);
      if (owned.empty() || allZero(seed)) {
        ++stats.tilesSkipped;
        continue;
      }
      runTile(w, seed);
      ++stats.tiles;
    }
  blocks.clear();
  grads.clear();
  Gradients result = finish();
  double kernels = 0;
  for (const auto *by : {&stats.forwardSeconds, &stats.vjpSeconds})
    for (const auto &[op, seconds] : *by)
      kernels += seconds;
  result.stats.otherSeconds = since(start) - kernels;
  return result;
}

const Tensor &Run::blockOf(int v, const plan::TileWindows &w) {
  auto it = blocks.find(v);
  if (it != blocks.end())
    return it->second;
  if (w.compute[v].empty())
    return blocks[v] = reference::borderOnlyBlock(program.values[v]);
  if (v != in)
    throw RuntimeError("internal error: no block of '" +
                       program.values[v].name + "' in the tile");
  return blocks[v] = input.read(w.compute[v]);
}

const Tensor &Run::wholeOf(int v) const {
  static const Tensor none;
  return program.constants.contains(v) ? program.constants.get(v) : none;
}

void Run::runTile(const plan::TileWindows &w, const Tensor &seed) {
  // The last tile's blocks and gradients go before this tile's arrive.
  blocks.clear();
  grads.clear();
  bool seeded = false;
  for (const BackwardStep &step : schedule.steps) {
    const Node &node = program.nodes[stages.stages[0].tileNodes[step.index]];
    if (step.kind == BackwardStep::Forward) {
      forwardStep(node, w);
    } else {
      if (!seeded)
        grads[out] = reference::embed(seed, w.owned[out], w.compute[out]);
      seeded = true;
      vjpStep(node, w);
    }
    // A block no later step reads goes; its shape stays for the
    // gradients' shapes.
    for (int v : step.released) {
      auto it = blocks.find(v);
      if (it != blocks.end())
        it->second.data = FloatBuffer();
    }
  }
  addInputGradient(w);
}

void Run::forwardStep(const Node &node, const plan::TileWindows &w) {
  int r = node.results[0];
  if (w.compute[r].empty())
    return;
  auto start = Clock::now();
  Tensor block = kernels->forward(
      node, program, sizes, w,
      [&](int v) -> const Tensor & { return blockOf(v, w); },
      [&](int v) -> const Tensor & { return wholeOf(v); });
  stats.forwardSeconds[node.op] += since(start);
  blocks[r] = std::move(block);
  note();
}

void Run::vjpStep(const Node &node, const plan::TileWindows &w) {
  int r = node.results[0];
  auto g = grads.find(r);
  if (g == grads.end() || w.compute[r].empty())
    return; // nothing of the loss flows through it
  reference::Operands operands;
  std::vector<Placed> placed;
  std::vector<bool> wanted;
  for (size_t i = 0; i < node.operands.size(); ++i) {
    int v = node.operands[i];
    bool spatial = node.window->spatial[i];
    operands.push_back(spatial ? &blockOf(v, w) : &wholeOf(v));
    placed.push_back(spatial ? Placed{w.compute[v], sizes[v]} : Placed{});
    wanted.push_back(node.vjp->grads[i] && (v != in || options.inputGradient));
  }
  Placed to{w.compute[r], sizes[r]};
  auto start = Clock::now();
  std::vector<Tensor> dx = kernels->vjp(
      VjpArgs{node, operands, placed, blocks.at(r), g->second, to, wanted});
  stats.vjpSeconds[node.op] += since(start);
  grads.erase(g);
  blocks.erase(r); // every reader's VJP has run
  for (size_t i = 0; i < node.operands.size(); ++i) {
    int v = node.operands[i];
    if (!wanted[i] || dx[i].data.empty() ||
        (node.window->spatial[i] && w.compute[v].empty()))
      continue;
    if (!node.window->spatial[i]) {
      std::vector<double> &sum = constantSums[v];
      sum.resize(size_t(dx[i].size()), 0.0);
      addInto(sum, dx[i]);
      continue;
    }
    auto [at, fresh] = grads.emplace(v, std::move(dx[i]));
    if (!fresh)
      for (int64_t k = 0; k < at->second.size(); ++k)
        at->second.data[k] += dx[i].data[k];
  }
  note();
}

void Run::addInputGradient(const plan::TileWindows &w) {
  auto g = grads.find(in);
  if (g == grads.end() || !options.inputGradient || w.compute[in].empty())
    return;
  const Region &region = w.compute[in];
  int64_t planes = inputShape[0] * inputShape[1];
  int64_t rows = region.axes[0].size(), cols = region.axes[1].size();
  int64_t h = inputShape[2], wd = inputShape[3];
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t y = 0; y < rows; ++y)
      for (int64_t x = 0; x < cols; ++x)
        inputSum.data[size_t((p * h + region.axes[0].lo + y) * wd +
                             region.axes[1].lo + x)] +=
            g->second.data[(p * rows + y) * cols + x];
}

void Run::note() {
  stats.peakTileBytes =
      std::max(stats.peakTileBytes, bytesOf(blocks) + bytesOf(grads));
}

Gradients Run::finish() {
  Gradients result;
  for (auto &[v, sum] : constantSums)
    result.constants[v] =
        Tensor(program.constants.shape(v), FloatBuffer(sum.begin(), sum.end()));
  if (options.inputGradient)
    result.input = std::move(inputSum);
  result.stats = stats;
  return result;
}

} // namespace

void checkDifferentiable(const Program &program) {
  // The compiler decided (sstep-differentiate); a plan from before it knew
  // how has neither a verdict nor rules.
  if (!program.differentiable)
    throw RuntimeError(!program.notDifferentiable.empty()
                           ? program.notDifferentiable
                           : "the plan has no gradient rules: compile the "
                             "model again with this version of SSTEP");
  // What follows only checks that the program is as the compiler left it.
  for (const Node &node : program.nodes) {
    if (node.role != Role::Tile || !node.window || !node.vjp ||
        node.vjp->grads.size() != node.operands.size() ||
        node.vjp->reads.size() != node.operands.size())
      throw RuntimeError("internal error: " + node.describe() +
                         " has no gradient rule in a trainable program");
    if (!reference::vjpKernels().count(node.op))
      throw RuntimeError("internal error: " + node.describe() +
                         " has a gradient rule but no VJP kernel");
    // The compiler gives gradients to images and constants only; a kernel
    // would read an empty tensor for anything else.
    for (size_t i = 0; i < node.operands.size(); ++i)
      if (node.vjp->grads[i] && !node.window->spatial[i] &&
          !program.constants.contains(node.operands[i]))
        throw RuntimeError("internal error: " + node.describe() +
                           ": a gradient for operand " + std::to_string(i) +
                           ", neither an image nor a constant");
  }
}

Gradients backward(const Program &program, exec::InputSource &input,
                   const Tensor &outputGrad, const BackwardOptions &options) {
  checkDifferentiable(program);
  return Run(program, input, outputGrad, options).run();
}

Gradients backward(const Program &program, const Tensor &input,
                   const Tensor &outputGrad, const BackwardOptions &options) {
  TensorSource source(input);
  return backward(program, source, outputGrad, options);
}

} // namespace sstep::train
