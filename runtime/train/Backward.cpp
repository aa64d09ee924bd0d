//===- Backward.cpp - Exact gradients of a trunk, stage by stage ----------===//

#include "runtime/train/Backward.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/exec/Reducer.h"
#include "runtime/train/BackwardPlan.h"
#include "runtime/train/BackwardRun.h"

#include <algorithm>

namespace sstep::train {
namespace detail {

void addTo(Tensor &to, const Tensor &from) {
  for (int64_t k = 0; k < to.size(); ++k)
    to.data[k] += from.data[k];
}

void addInto(std::vector<double> &acc, const Tensor &t) {
  acc.resize(size_t(t.size()), 0.0);
  for (int64_t i = 0; i < t.size(); ++i)
    acc[size_t(i)] += t.data[i];
}

void Run::addGradient(int v, const Tensor &grad) {
  if (!program.constants.contains(v)) {
    addInto(smallSums[v], grad);
    return;
  }
  auto [at, first] = constantSums.try_emplace(v);
  Tensor &sum = at->second;
  if (first) {
    // It outlives every tile: placed apart from their blocks, it leaves
    // their ranges whole for the next tile.
    BufferPool::LifetimeScope lasting(BufferPool::Lifetime::Lasting);
    sum = Tensor(program.constants.shape(v),
                 FloatBuffer(grad.data.begin(), grad.data.end()));
    return;
  }
  if (sum.size() != grad.size())
    throw RuntimeError("a gradient of " + std::to_string(grad.size()) +
                       " values for a parameter of " +
                       std::to_string(sum.size()));
  addTo(sum, grad);
}

namespace {

int64_t bytesOf(const std::map<int, Tensor> &values) {
  int64_t bytes = 0;
  for (const auto &[v, t] : values)
    bytes += int64_t(t.data.size() * sizeof(float));
  return bytes;
}

} // namespace

Run::Run(const Program &program, exec::InputSource &input,
         exec::InputSource &outputGrad, const BackwardOptions &options)
    : program(program), input(input), inputShape(input.shape()),
      outputGrad(outputGrad), options(options),
      kernels(options.kernels ? options.kernels : &referenceKernels),
      stages(plan::planStages(program)), in(program.inputs[0]),
      out(program.outputs[0]), images(options.scratchFolder),
      imageGrads(options.scratchFolder) {
  if (inputShape.size() != 4)
    throw RuntimeError("the input must be an NCHW image, not " +
                       formatShape(inputShape));
  sizes = plan::predictSizes(program, stages, {inputShape[2], inputShape[3]});
  tileStage.assign(program.values.size(), -1);
  for (const Node &node : program.nodes)
    if (node.role == Role::Tile)
      tileStage[size_t(node.results[0])] = node.stage;
  schedules = backwardSchedules(program, inputShape, options.tiles,
                                options.inputGradient, options.segments);
  for (const BackwardSchedule &schedule : schedules)
    stats.segments =
        std::max(stats.segments, int(schedule.segmentStarts.size()));
  stats.stages = int(stages.stages.size());
  Shape want = inputShape;
  want[1] = program.values[out].shape[1];
  want[2] = sizes[out][0];
  want[3] = sizes[out][1];
  if (outputGrad.shape() != want)
    throw RuntimeError("the output gradient has shape " +
                       formatShape(outputGrad.shape()) + ", the output " +
                       formatShape(want));
}

Gradients Run::run() {
  if (options.inputGradient)
    inputSum = Tensor(inputShape);
  auto start = Clock::now();
  forwardStages();
  for (int s = int(stages.stages.size()) - 1; s >= 0; --s)
    backwardStage(s);
  blocks.clear();
  grads.clear();
  stored.clear();
  Gradients result = finish();
  double kernels = 0;
  for (const auto *by : {&stats.forwardSeconds, &stats.vjpSeconds})
    for (const auto &[op, seconds] : *by)
      kernels += seconds;
  result.stats.otherSeconds = since(start) - kernels;
  return result;
}

void Run::backwardStage(int s) {
  const plan::Stage &stage = stages.stages[size_t(s)];
  // The stage's own images: every later reader's gradient is in; its tiles
  // compute them again.
  for (size_t v = 0; v < tileStage.size(); ++v)
    if (tileStage[v] == s)
      images.erase(int(v));
  for (auto id = stage.reduceNodes.rbegin(); id != stage.reduceNodes.rend();
       ++id)
    reduceVjp(program.nodes[size_t(*id)]);
  if (!stage.tileNodes.empty()) {
    plan::StageTiling tiling(program, stage, sizes, options.tiles);
    for (int64_t r = 0; r < tiling.grid()[0]; ++r)
      for (int64_t c = 0; c < tiling.grid()[1]; ++c) {
        plan::TileWindows w = tiling.windows(r, c);
        std::map<int, Tensor> seeds = seedsOf(s, w);
        if (seeds.empty()) {
          ++stats.tilesSkipped;
          continue;
        }
        runTile(s, w, std::move(seeds));
        ++stats.tiles;
      }
  }
  blocks.clear();
  grads.clear();
  spread.clear();
  points.clear();
  ties.clear();
  for (size_t v = 0; v < tileStage.size(); ++v)
    if (tileStage[v] == s)
      imageGrads.erase(int(v));
  for (auto id = stage.globalNodes.rbegin(); id != stage.globalNodes.rend();
       ++id)
    globalVjp(program.nodes[size_t(*id)]);
}

void Run::reduceVjp(const Node &node) {
  auto sum = smallSums.find(node.results[0]);
  if (sum == smallSums.end())
    return; // nothing of the loss flows through it
  const int v = node.operands[0];
  std::vector<double> perPlane = std::move(sum->second);
  smallSums.erase(sum);
  if (exec::reduceKindOf(node) == exec::ReduceKind::Max) {
    if (node.attrs.count("split_ties"))
      tiesOf(node, perPlane);
    else
      pointsOf(node, perPlane);
    return;
  }
  if (exec::reduceKindOf(node) == exec::ReduceKind::Mean) {
    double pixels = double(sizes[v][0]) * double(sizes[v][1]);
    for (double &x : perPlane)
      x /= pixels;
  }
  // Computed by this stage's tiles: they add it over their owned blocks.
  if (tileStage[size_t(v)] == node.stage) {
    std::vector<double> &to = spread[v];
    to.resize(perPlane.size(), 0.0);
    for (size_t i = 0; i < perPlane.size(); ++i)
      to[i] += perPlane[i];
    return;
  }
  spreadOver(v, perPlane);
}

void Run::spreadOver(int v, const std::vector<double> &perPlane) {
  if (v != in) {
    imageGrads.create(v, program.values[v].name, imageShape(v));
    imageGrads.addPerPlane(v, perPlane);
    noteStored();
    return;
  }
  if (!options.inputGradient)
    return;
  const int64_t plane = inputShape[2] * inputShape[3];
  if (int64_t(perPlane.size()) != inputShape[0] * inputShape[1])
    throw RuntimeError("internal error: a reduction's gradient of " +
                       std::to_string(perPlane.size()) +
                       " values for the input of " + formatShape(inputShape));
  for (size_t p = 0; p < perPlane.size(); ++p) {
    float add = float(perPlane[p]);
    float *at = inputSum.data.data() + int64_t(p) * plane;
    for (int64_t i = 0; i < plane; ++i)
      at[i] += add;
  }
}

void Run::pointsOf(const Node &node, const std::vector<double> &perPlane) {
  const int v = node.operands[0];
  const std::vector<Argmax> &at = argmax.at(int(&node - program.nodes.data()));
  const Shape shape = v == in ? inputShape : imageShape(v);
  for (size_t p = 0; p < at.size() && p < perPlane.size(); ++p) {
    if (at[p].y < 0)
      continue;
    Point point{int64_t(p), at[p].y, at[p].x, perPlane[p]};
    if (tileStage[size_t(v)] == node.stage) {
      points[v].push_back(point);
    } else if (v == in) {
      if (options.inputGradient)
        inputSum
            .data[(point.plane * shape[2] + point.y) * shape[3] + point.x] +=
            float(point.grad);
    } else {
      Tensor one({shape[0], shape[1], 1, 1});
      one.data[point.plane] = float(point.grad);
      imageGrads.create(v, program.values[v].name, shape);
      imageGrads.add(
          v, one,
          Region{{Interval{point.y, point.y}, Interval{point.x, point.x}}});
    }
  }
}

void Run::tiesOf(const Node &node, const std::vector<double> &perPlane) {
  const int v = node.operands[0];
  const std::vector<TiedMax> &at =
      tiedMax.at(int(&node - program.nodes.data()));
  std::vector<Tie> planes;
  for (size_t p = 0; p < at.size() && p < perPlane.size(); ++p)
    if (at[p].count > 0 && !at[p].nan) // x == NaN nowhere: no gradient
      planes.push_back(
          {int64_t(p), at[p].value, perPlane[p] / double(at[p].count)});
  if (tileStage[size_t(v)] == node.stage) {
    std::vector<Tie> &to = ties[v];
    to.insert(to.end(), planes.begin(), planes.end());
    return;
  }
  if (v != in)
    throw RuntimeError("internal error: " + node.describe() +
                       " reduces an image of an earlier stage");
  if (!options.inputGradient)
    return;
  // The input's ties, read a band of rows at a time.
  const int64_t band = 64, w = inputShape[3], h = inputShape[2];
  for (int64_t top = 0; top < h; top += band) {
    Region rows{
        {Interval{top, std::min(h, top + band) - 1}, Interval{0, w - 1}}};
    Tensor x = input.read(rows);
    const int64_t n = rows.axes[0].size() * w;
    for (const Tie &t : planes)
      for (int64_t i = 0; i < n; ++i)
        if (x.data[t.plane * n + i] == t.value)
          inputSum.data[(t.plane * h + top) * w + i] += float(t.grad);
  }
}

Shape Run::imageShape(int v) const {
  return {inputShape[0], program.values[v].shape[1], sizes[v][0], sizes[v][1]};
}

void Run::globalVjp(const Node &node) {
  const int r = node.results[0];
  auto sum = smallSums.find(r);
  if (sum == smallSums.end())
    return;
  const Tensor &result = stored.at(r);
  Tensor grad(result.shape,
              FloatBuffer(sum->second.begin(), sum->second.end()));
  smallSums.erase(sum);
  // A global node's values have no extent to tile: its spatial operands
  // are placed whole, as one tile of one pixel.
  auto whole = [](const Tensor &t) {
    return t.rank() == 4 ? Placed::whole({t.dim(2), t.dim(3)}) : Placed{};
  };
  reference::Operands operands;
  std::vector<Placed> placed;
  std::vector<bool> wanted;
  for (size_t i = 0; i < node.operands.size(); ++i) {
    operands.push_back(&wholeOf(node.operands[i]));
    placed.push_back(whole(*operands.back()));
    wanted.push_back(node.vjp->grads[i]);
  }
  Placed to = whole(result);
  auto start = Clock::now();
  std::vector<Tensor> dx = referenceKernels.vjp(
      reference::VjpArgs{node, operands, placed, result, grad, to, wanted});
  stats.vjpSeconds[node.op] += since(start);
  for (size_t i = 0; i < node.operands.size(); ++i) {
    int v = node.operands[i];
    if (!wanted[i] || dx[i].data.empty())
      continue;
    addGradient(v, dx[i]);
  }
}

void Run::noteStored() {
  stats.storedPeakBytes =
      std::max(stats.storedPeakBytes, bytesOf(stored) + images.memoryBytes() +
                                          imageGrads.memoryBytes());
  stats.scratchPeakBytes = std::max(
      stats.scratchPeakBytes, images.diskBytes() + imageGrads.diskBytes());
}

Gradients Run::finish() {
  Gradients result;
  result.constants = std::move(constantSums);
  if (options.inputGradient)
    result.input = std::move(inputSum);
  result.stats = stats;
  result.stats.scratchWritten =
      images.bytesWritten() + imageGrads.bytesWritten();
  result.stats.scratchRead = images.bytesRead() + imageGrads.bytesRead();
  return result;
}

namespace {

/// A tensor in memory as the input or the output's gradient: each read
/// copies its block.
class TensorSource : public exec::InputSource {
public:
  explicit TensorSource(const Tensor &t) : t(t) {}
  Shape shape() const override { return t.shape; }
  Tensor read(const Region &region) override {
    if (t.rank() != 4)
      throw RuntimeError("an image must be NCHW, not " + formatShape(t.shape));
    return crop(t, Region::whole({t.dim(2), t.dim(3)}), region);
  }

private:
  const Tensor &t;
};

} // namespace
} // namespace detail

void checkDifferentiable(const Program &program) {
  // The compiler decided (sstep-differentiate); a plan from before it knew
  // how has neither a verdict nor rules.
  if (!program.differentiable)
    throw RuntimeError(!program.notDifferentiable.empty()
                           ? program.notDifferentiable
                           : "the plan has no gradient rules: compile the "
                             "model again with this version of SSTEP");
  // What follows only checks that the program is as the compiler left it.
  std::vector<Role> producedBy(program.values.size(), Role::None);
  for (const Node &node : program.nodes)
    for (int r : node.results)
      producedBy[size_t(r)] = node.role;
  for (const Node &node : program.nodes) {
    bool reduce = node.role == Role::Reduce;
    bool windowed = node.role == Role::Tile || node.role == Role::Global;
    if ((!reduce && !windowed) || (windowed && !node.window) || !node.vjp ||
        node.vjp->grads.size() != node.operands.size() ||
        node.vjp->reads.size() != node.operands.size())
      throw RuntimeError("internal error: " + node.describe() +
                         " has no gradient rule in a trainable program");
    if (reduce) {
      exec::ReduceKind kind = exec::reduceKindOf(node);
      if (kind != exec::ReduceKind::Mean && kind != exec::ReduceKind::Sum &&
          node.op != "global_max_pool2d")
        throw RuntimeError("internal error: " + node.describe() +
                           ", a maximum without a rule, in a trainable "
                           "program");
      continue;
    }
    if (!reference::vjpKernels().count(node.op))
      throw RuntimeError("internal error: " + node.describe() +
                         " has a gradient rule but no VJP kernel");
    // The compiler gives gradients to images, small values computed from
    // them and constants only; a kernel would read an empty tensor for
    // anything else.
    for (size_t i = 0; i < node.operands.size(); ++i) {
      int v = node.operands[i];
      Role from = producedBy[size_t(v)];
      bool small = from == Role::Reduce || from == Role::Global;
      if (node.vjp->grads[i] && !node.window->spatial[i] &&
          !program.constants.contains(v) && !small)
        throw RuntimeError("internal error: " + node.describe() +
                           ": a gradient for operand " + std::to_string(i) +
                           ", neither an image, a small value nor a "
                           "constant");
    }
  }
}

Gradients backward(const Program &program, exec::InputSource &input,
                   exec::InputSource &outputGrad,
                   const BackwardOptions &options) {
  checkDifferentiable(program);
  return detail::Run(program, input, outputGrad, options).run();
}

Gradients backward(const Program &program, exec::InputSource &input,
                   const Tensor &outputGrad, const BackwardOptions &options) {
  detail::TensorSource grad(outputGrad);
  return backward(program, input, grad, options);
}

Gradients backward(const Program &program, const Tensor &input,
                   const Tensor &outputGrad, const BackwardOptions &options) {
  detail::TensorSource source(input);
  return backward(program, source, outputGrad, options);
}

} // namespace sstep::train
