//===- Kernels.cpp - The reference backend's kernel table -----------------===//

#include "runtime/reference/Kernels.h"
#include "runtime/core/RuntimeError.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace sstep::reference {

namespace {
struct Tables {
  KernelTable whole;
  RegionKernelTable region;
};

const Tables &tables() {
  static const Tables tables = [] {
    Tables t;
    addConvKernels(t.whole, t.region);
    addConvTransposeKernels(t.whole, t.region);
    addPoolKernels(t.whole, t.region);
    addPointwiseKernels(t.whole);
    addGeometryKernels(t.whole, t.region);
    addTensorKernels(t.whole);
    addMatrixKernels(t.whole);
    addNormKernels(t.whole);
    return t;
  }();
  return tables;
}
} // namespace

const KernelTable &kernels() { return tables().whole; }

const RegionKernelTable &regionKernels() { return tables().region; }

WindowAxis windowAxisOf(const Node &node, int64_t kernel, int axis) {
  const auto &pads = node.getInts("pads");
  return {kernel, node.getInts("strides")[axis],
          node.getInts("dilations")[axis], pads[axis], pads[axis + 2]};
}

WindowReads windowReads(const Region &out, const WindowAxis axes[2],
                        Size2 image) {
  WindowReads r;
  for (int a = 0; a < 2; ++a) {
    int64_t lo = out.axes[a].lo * axes[a].stride - axes[a].padBegin;
    int64_t hi = out.axes[a].hi * axes[a].stride - axes[a].padBegin +
                 axes[a].extent() - 1;
    r.region.axes[a] = {std::max<int64_t>(lo, 0),
                        std::min<int64_t>(hi, image[a] - 1)};
    r.padBegin[a] = r.region.axes[a].lo - lo;
    r.padEnd[a] = hi - r.region.axes[a].hi;
  }
  return r;
}

void expectRank(const Node &node, const Tensor &t, int64_t rank,
                const char *what) {
  if (t.rank() != rank)
    throw RuntimeError(node.describe() + ": " + what + " has shape " +
                       formatShape(t.shape) + ", expected rank " +
                       std::to_string(rank));
}

Shape checkRule(const Node &node, const shape::Result &rule) {
  if (!rule.ok())
    throw RuntimeError(node.describe() + ": " + rule.error);
  return rule.dims;
}

Shape broadcastShape(const Node &node, const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      throw RuntimeError(node.describe() + ": shapes " + formatShape(a) +
                         " and " + formatShape(b) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> broadcastStrides(const Shape &shape, const Shape &out) {
  std::vector<int64_t> own = stridesOf(shape), strides(out.size(), 0);
  size_t lead = out.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    strides[lead + i] = shape[i] == 1 ? 0 : own[i];
  return strides;
}

int64_t offsetAt(int64_t index, const Shape &shape,
                 const std::vector<int64_t> &strides) {
  int64_t offset = 0;
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    offset += index % shape[d] * strides[d];
    index /= shape[d];
  }
  return offset;
}

Tensor broadcastTo(const Node &node, const Tensor &t, const Shape &shape,
                   const char *what) {
  shape::Result fits = shape::broadcastTo(t.shape, shape);
  if (!fits.ok())
    throw RuntimeError(node.describe() + ": " + what + " " + fits.error);
  std::vector<int64_t> strides = broadcastStrides(t.shape, shape);
  Tensor out(shape);
  for (int64_t i = 0; i < out.size(); ++i)
    out.data[i] = t.data[offsetAt(i, shape, strides)];
  return out;
}

namespace {
std::atomic<int> threadCount{0};

void freshThreads(int workers, const std::function<void()> &body) {
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w)
    threads.emplace_back(body);
  for (std::thread &t : threads)
    t.join();
}

std::atomic<TeamRunner> teamRunner{freshThreads};
} // namespace

void setTeamRunner(TeamRunner runner) {
  teamRunner = runner ? runner : freshThreads;
}

void setThreadCount(int threads) { threadCount = std::max(0, threads); }

int threadsInUse() {
  return threadCount > 0
             ? threadCount.load()
             : int(std::max(1u, std::thread::hardware_concurrency()));
}

void parallelFor(int64_t n, const std::function<void(int64_t)> &fn) {
  int64_t cores = threadsInUse();
  int64_t workers = std::min<int64_t>(n, cores);
  if (workers <= 1) {
    for (int64_t i = 0; i < n; ++i)
      fn(i);
    return;
  }
  // Work items are handed out one at a time: channel costs differ (groups).
  std::atomic<int64_t> next{0};
  teamRunner.load()(int(workers), [&] {
    for (int64_t i = next++; i < n; i = next++)
      fn(i);
  });
}

} // namespace sstep::reference
