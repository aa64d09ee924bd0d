//===- CpuBackend.cpp - The oneDNN CPU backend: the tile loop -------------===//

#include "runtime/cpu/CpuBackend.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/cpu/Cache.h"
#include "runtime/cpu/Threads.h"
#include "runtime/cpu/WholeTensorOps.h"
#include "runtime/reference/Kernels.h"
#include "runtime/reference/ReferenceBackend.h"

#include <chrono>
#include <cstdlib>

// oneDNN's OpenMP runtime (libgomp); declared here so that building the
// backend does not need the compiler's OpenMP support.

namespace sstep::cpu {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

} // namespace

CpuBackend::CpuBackend(int threads)
    : threads(threads), cache(std::make_unique<Cache>()) {
  useThreads();
  // One layout for every block: the channel block of the widest vector
  // unit, so a tile's values never change layout between primitives.
  blocked = model.channelBlock() == 16 ? memory::format_tag::nChw16c
                                       : memory::format_tag::nChw8c;
}

CpuBackend::~CpuBackend() = default;

std::map<std::string, int64_t> CpuBackend::counters() const {
  return {{"fused_steps", count.fusedSteps},
          {"onednn_nodes", count.dnnlNodes},
          {"reference_nodes", count.referenceNodes},
          {"native_nodes", count.nativeNodes},
          {"primitives_created", device.primitives.created()},
          {"primitives_evicted", device.primitives.evicted()},
          {"primitives_cached_peak", device.primitives.peakSize()},
          {"kept_blocks", count.keptBlocks},
          {"packed_weight_bytes", count.packedWeightBytes},
          {"weight_reads", count.weightReads},
          {"in_place_sums", count.inPlaceSums},
          {"pool_peak_bytes", int64_t(device.pool->peak())},
          {"pool_resident_peak_bytes", int64_t(device.pool->residentPeak())},
          {"threads", threadsNow()}};
}

void CpuBackend::useThreads() const {
  // OpenMP's thread count is the calling thread's setting, and the
  // reference kernels' is global: each backend sets its own before it
  // runs, so sessions with different counts take turns in one process.
  cpu::useThreads(threads);
}

std::vector<Tensor>
CpuBackend::runOnce(const Node &node,
                    const std::vector<const Tensor *> &operands) {
  useThreads();
  if (std::optional<Tensor> out =
          runWholeTensorOp(device, program, node, operands)) {
    ++count.dnnlNodes;
    std::vector<Tensor> results;
    results.push_back(std::move(*out));
    return results;
  }
  auto kernel = reference::kernels().find(node.op);
  if (kernel == reference::kernels().end())
    throw RuntimeError(node.describe() + ": no kernel for this op");
  return kernel->second(node, operands);
}

void CpuBackend::constantsChanged(const std::vector<int> &values) {
  if (!program)
    return;
  std::set<int> changed(values.begin(), values.end());
  auto reads = [&](int id) {
    for (int v : program->nodes[id].operands)
      if (changed.count(v))
        return true;
    return false;
  };
  for (auto it = cache->weights.begin(); it != cache->weights.end();)
    it = reads(it->first) ? cache->weights.erase(it) : std::next(it);
  // A bias wraps the constant's own memory, which the change freed.
  for (auto it = cache->bias.begin(); it != cache->bias.end();)
    it = reads(it->first) ? cache->bias.erase(it) : std::next(it);
}

void CpuBackend::beginStage(const Program &p, const plan::Stage &,
                            const plan::StageSchedule &schedule,
                            const plan::Sizes &s) {
  useThreads();
  if (program != &p) {
    // Weights are cached by node: another program's are not these.
    cache->weights.clear();
    cache->bias.clear();
  }
  program = &p;
  sizes = &s;
  stageSchedule = schedule;
  steps.clear();
  stepSeconds.clear();
  for (const plan::StageSchedule::Step &step : schedule.steps) {
    steps.push_back(stepOf(p, step.nodes));
    std::string label;
    for (int id : step.nodes)
      label += (label.empty() ? "" : "+") + exec::profileName(p, p.nodes[id]);
    stepSeconds.push_back(&seconds[label]);
  }
  outputSeconds = &seconds["(outputs to NCHW)"];
}

const Block &CpuBackend::blockOf(int v) {
  auto it = tile.find(v);
  if (it != tile.end())
    return it->second;
  const Region &region = w->compute[v];
  if (region.empty()) {
    // Read only as border (a pad's constant, a conv's zeros).
    const Shape &shape = program->values[v].shape;
    Tensor none(
        {std::max<int64_t>(shape[0], 1), std::max<int64_t>(shape[1], 1), 0, 0});
    return tile[v] = fromTensor(std::move(none), region, device);
  }
  return tile[v] = produce(v, {v}, [&] {
           const Region &part = w->compute[v];
           return fromTensor(context->load(v, part), part, device);
         });
}

Block CpuBackend::produce(int v, const std::vector<int> &results,
                          const std::function<Block()> &compute) {
  Region full = w->compute[v];
  if (w->fresh.empty() || w->fresh[v] == full)
    return compute();
  Region fresh = w->fresh[v], above = full;
  if (!fresh.empty())
    above.axes[0].hi = fresh.axes[0].lo - 1;
  auto it = kept.find(v);
  if (it == kept.end() || !(it->second.region == above))
    throw RuntimeError("internal error: the tile above did not keep rows " +
                       formatRegion(above) + " of '" + program->values[v].name +
                       "'");
  Block top = std::move(it->second);
  kept.erase(it);
  if (fresh.empty())
    return top;
  for (int r : results)
    windows.compute[r] = w->fresh[r];
  Block part;
  try {
    part = compute();
  } catch (...) {
    for (int r : results)
      windows.compute[r] = full;
    throw;
  }
  for (int r : results)
    windows.compute[r] = full;
  ++count.keptBlocks;
  Block joined = joinRows(device, top, part, full);
  // The join holds both halves and the whole at once.
  peak =
      std::max(peak, liveBytes() + top.bytes() + part.bytes() + joined.bytes());
  return joined;
}

void CpuBackend::release(int v) {
  bool keep = !w->keep.empty() && !w->keep[v].empty();
  // A value loaded from outside the stage that this tile did not read
  // (its readers' rows were all kept) still moves on for the tile below.
  if (keep && !tile.count(v) && stageSchedule.loaded.count(v))
    blockOf(v);
  auto it = tile.find(v);
  if (it == tile.end())
    return;
  if (keep)
    kept[v] = keepPart(device, it->second, w->keep[v]);
  tile.erase(it);
}

int64_t CpuBackend::liveBytes() const {
  int64_t live = 0;
  for (const auto &[v, block] : tile)
    live += block.bytes();
  for (const auto &[v, block] : kept)
    live += block.bytes();
  return live;
}

Block CpuBackend::runReference(const Node &node) {
  ++count.referenceNodes;
  Tensor out = reference::runNodeOnHost(
      node, *program, *sizes, *w,
      [&](int v) { return toTensor(device, blockOf(v), w->compute[v]); },
      [&](int v) -> const Tensor & { return whole(v); });
  return fromTensor(std::move(out), w->compute[node.results[0]], device);
}

Block CpuBackend::runNode(const Node &node) {
  // Border-only reads and empty blocks stay with the reference kernels,
  // which define them; so do ops oneDNN has no primitive for.
  for (size_t i = 0; i < node.operands.size(); ++i)
    if (node.window->spatial[i] && w->compute[node.operands[i]].empty())
      return runReference(node);
  try {
    if (node.op == "conv2d")
      return runConv(
          Step{{int(&node - program->nodes.data())}, -1, -1, node.results[0]});
    if (node.op == "conv_transpose2d")
      return runConvTranspose(node);
    if (node.op == "max_pool2d" || node.op == "avg_pool2d")
      return runPool(node);
    if (auto eltwise = eltwiseOf(node, *program))
      return runEltwise(node, *eltwise);
    if (node.op == "add" || node.op == "sub" || node.op == "mul" ||
        node.op == "div")
      return runBinary(node);
    if (node.op == "concat")
      return runConcat(node);
    if (node.op == "layer_norm")
      return runLayerNorm(node);
    if (node.op == "resize2d")
      return runResize(node);
    if (node.op == "slice" || node.op == "channel_shuffle")
      return runChannelGather(node);
    if (node.op == "pad2d")
      return runCrop(node);
  } catch (const dnnl::error &) {
    // No oneDNN implementation for this shape or layout.
  }
  return runReference(node);
}

Block CpuBackend::runStep(const Step &step) {
  if (step.nodes.size() > 1) {
    try {
      Block out = runConv(step);
      ++count.fusedSteps;
      return out;
    } catch (const dnnl::error &) {
      // Fall back to one node at a time below.
    }
  }
  Block out;
  for (size_t i = 0; i < step.nodes.size(); ++i) {
    const Node &node = program->nodes[step.nodes[i]];
    out = runNode(node);
    if (i + 1 < step.nodes.size())
      tile[node.results[0]] = out;
  }
  for (size_t i = 0; i + 1 < step.nodes.size(); ++i)
    tile.erase(program->nodes[step.nodes[i]].results[0]);
  return out;
}

int64_t CpuBackend::runTile(const plan::Stage &stage,
                            const plan::TileWindows &tileWindows,
                            exec::TileContext &ctx) {
  windows = tileWindows;
  context = &ctx;
  tile.clear();
  if (windows.fresh.empty())
    kept.clear(); // the tile above did not run just before
  peak = liveBytes();
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step &step = steps[i];
    currentStep = i;
    auto start = Clock::now();
    if (!w->compute[step.result].empty()) {
      Block out = produce(step.result, stageSchedule.steps[i].results,
                          [&] { return runStep(step); });
      Size2 extent = w->compute[step.result].extent();
      memory::dims dims = out.dims();
      if (dims.size() != 4 || dims[2] != extent[0] || dims[3] != extent[1])
        throw RuntimeError(program->nodes[step.nodes.back()].describe() +
                           ": computed a block of the wrong size for " +
                           formatRegion(w->compute[step.result]));
      tile[step.result] = std::move(out);
    }
    peak = std::max(peak, liveBytes());
    device.stream.wait();
    device.scratch.clear();
    for (int v : stageSchedule.releasedAfter[i])
      release(v);
    *stepSeconds[i] += since(start);
  }
  device.stream.wait();
  auto start = Clock::now();
  for (int v : stage.sinks)
    if (!w->owned[v].empty())
      ctx.sink(v, toTensor(device, blockOf(v), w->compute[v]));
  *outputSeconds += since(start);
  for (int v : stage.sinks)
    release(v);
  device.stream.wait();
  device.scratch.clear();
  tile.clear();
  device.primitives.endTile();
  return peak;
}

} // namespace sstep::cpu
