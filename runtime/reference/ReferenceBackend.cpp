//===- ReferenceBackend.cpp - The oracle as a tile backend ----------------===//

#include "runtime/reference/ReferenceBackend.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Kernels.h"

#include <chrono>

namespace sstep::reference {

namespace {
std::vector<Tensor> runKernel(const Node &node, const Operands &operands) {
  auto kernel = kernels().find(node.op);
  if (kernel == kernels().end())
    throw RuntimeError(node.describe() + ": no reference kernel for this op");
  return kernel->second(node, operands);
}
} // namespace

std::vector<Tensor>
ReferenceBackend::runOnce(const Node &node,
                          const std::vector<const Tensor *> &operands) {
  return runKernel(node, operands);
}

void ReferenceBackend::beginStage(const Program &p, const plan::Stage &,
                                  const plan::StageSchedule &s,
                                  const plan::Sizes &z) {
  program = &p;
  sizes = &z;
  schedule = s;
  nodeSeconds.assign(p.nodes.size(), nullptr);
  for (const plan::StageSchedule::Step &step : s.steps)
    for (int id : step.nodes)
      nodeSeconds[size_t(id)] = &seconds[exec::profileName(p, p.nodes[id])];
}

const Tensor &ReferenceBackend::block(int v, const plan::TileWindows &w,
                                      exec::TileContext &context) {
  auto it = tile.find(v);
  if (it != tile.end())
    return it->second;
  if (w.compute[v].empty())
    return tile[v] = borderOnlyBlock(program->values[v]);
  return tile[v] = context.load(v, w.compute[v]);
}

Tensor borderOnlyBlock(const ValueInfo &value) {
  const Shape &shape = value.shape;
  return Tensor(
      {std::max<int64_t>(shape[0], 1), std::max<int64_t>(shape[1], 1), 0, 0});
}

Tensor runNodeBlock(const Node &node, const Program &program,
                    const plan::Sizes &size, const plan::TileWindows &w,
                    const std::function<const Tensor &(int)> &blockOf,
                    const std::function<const Tensor &(int)> &wholeOf) {
  int result = node.results[0];
  Placed to{w.compute[result], size[result]};
  Operands operands;
  std::vector<Placed> placed;
  std::vector<Tensor> crops; // operands cropped to the output block
  crops.reserve(node.operands.size());
  auto region = regionKernels().find(node.op);
  for (size_t i = 0; i < node.operands.size(); ++i) {
    int v = node.operands[i];
    if (!node.window->spatial[i]) {
      operands.push_back(&wholeOf(v));
      placed.push_back({});
      continue;
    }
    const Tensor &from = blockOf(v);
    Placed at{w.compute[v], size[v]};
    Region reads = at.region;
    for (unsigned axis = 0; axis < 2; ++axis) {
      if (size[v][axis] == 1 && to.image[axis] != 1)
        continue; // broadcast
      reads.axes[axis] = node.window->axes[axis]
                             .inputInterval(to.region.axes[axis], size[v][axis],
                                            to.image[axis])
                             .intersect({0, size[v][axis] - 1});
    }
    if (!at.region.contains(reads))
      throw RuntimeError(
          node.describe() + ": the tile holds " + formatRegion(at.region) +
          " of '" + program.values[v].name + "' but computing " +
          formatRegion(to.region) + " reads " + formatRegion(reads));
    if (region != regionKernels().end()) {
      operands.push_back(&from);
    } else {
      Region part = to.region;
      for (unsigned axis = 0; axis < 2; ++axis)
        if (size[v][axis] == 1 && to.image[axis] != 1)
          part.axes[axis] = {0, 0};
      if (part == at.region) { // the block is the output's: no copy
        operands.push_back(&from);
      } else {
        crops.push_back(crop(from, at.region, part));
        operands.push_back(&crops.back());
      }
    }
    placed.push_back(at);
  }
  std::vector<Tensor> results = region != regionKernels().end()
                                    ? region->second(node, operands, placed, to)
                                    : runKernel(node, operands);
  Tensor &out = results[0];
  if (out.rank() != 4 || out.dim(2) != to.region.axes[0].size() ||
      out.dim(3) != to.region.axes[1].size())
    throw RuntimeError(node.describe() + ": computed " +
                       formatShape(out.shape) + " for the block " +
                       formatRegion(to.region));
  return std::move(out);
}

Tensor runNodeOnHost(const Node &node, const Program &program,
                     const plan::Sizes &sizes, const plan::TileWindows &w,
                     const std::function<Tensor(int)> &toPlain,
                     const std::function<const Tensor &(int)> &wholeOf) {
  std::map<int, Tensor> plain;
  return runNodeBlock(
      node, program, sizes, w,
      [&](int v) -> const Tensor & {
        auto it = plain.find(v);
        if (it == plain.end())
          it = plain.emplace(v, toPlain(v)).first;
        return it->second;
      },
      wholeOf);
}

std::map<std::string, int64_t> ReferenceBackend::counters() const {
  return {{"threads", threadsInUse()}};
}

int64_t ReferenceBackend::runTile(const plan::Stage &stage,
                                  const plan::TileWindows &w,
                                  exec::TileContext &context) {
  tile.clear();
  int64_t peak = 0;
  for (size_t step = 0; step < schedule.steps.size(); ++step) {
    for (int id : schedule.steps[step].nodes) {
      const Node &node = program->nodes[id];
      if (w.compute[node.results[0]].empty())
        continue;
      auto start = std::chrono::steady_clock::now();
      tile[node.results[0]] = runNodeBlock(
          node, *program, *sizes, w,
          [&](int v) -> const Tensor & { return block(v, w, context); },
          [&](int v) -> const Tensor & { return context.whole(v); });
      *nodeSeconds[size_t(id)] += std::chrono::duration<double>(
                                      std::chrono::steady_clock::now() - start)
                                      .count();
    }
    int64_t live = 0;
    for (const auto &[v, held] : tile)
      live += held.size() * int64_t(sizeof(float));
    peak = std::max(peak, live);
    for (int v : schedule.releasedAfter[step])
      tile.erase(v);
  }
  for (int v : stage.sinks)
    if (!w.owned[v].empty())
      context.sink(v, block(v, w, context));
  tile.clear();
  return peak;
}

std::vector<Tensor> runTiled(const Program &program, std::vector<Tensor> inputs,
                             int64_t tileEdge, exec::Stats *stats) {
  ReferenceBackend backend;
  exec::Options options;
  options.tileEdge = tileEdge;
  return exec::execute(program, backend, std::move(inputs), options, stats);
}

} // namespace sstep::reference
