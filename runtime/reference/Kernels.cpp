//===- Kernels.cpp - The reference backend's kernel table -----------------===//

#include "runtime/reference/Kernels.h"
#include "runtime/core/RuntimeError.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace sstep::reference {

const KernelTable &kernels() {
  static const KernelTable table = [] {
    KernelTable t;
    addConvKernels(t);
    addConvTransposeKernels(t);
    addPoolKernels(t);
    addPointwiseKernels(t);
    addGeometryKernels(t);
    return t;
  }();
  return table;
}

void expectRank(const Node &node, const Tensor &t, int64_t rank,
                const char *what) {
  if (t.rank() != rank)
    throw RuntimeError(node.describe() + ": " + what + " has shape " +
                       formatShape(t.shape) + ", expected rank " +
                       std::to_string(rank));
}

namespace {
std::atomic<int> threadCount{0};
} // namespace

void setThreadCount(int threads) { threadCount = std::max(0, threads); }

void parallelFor(int64_t n, const std::function<void(int64_t)> &fn) {
  int64_t cores = threadCount > 0
                      ? threadCount.load()
                      : std::max(1u, std::thread::hardware_concurrency());
  int64_t workers = std::min<int64_t>(n, cores);
  if (workers <= 1) {
    for (int64_t i = 0; i < n; ++i)
      fn(i);
    return;
  }
  // Work items are handed out one at a time: channel costs differ (groups).
  std::atomic<int64_t> next{0};
  std::vector<std::thread> threads;
  for (int64_t w = 0; w < workers; ++w)
    threads.emplace_back([&] {
      for (int64_t i = next++; i < n; i = next++)
        fn(i);
    });
  for (std::thread &t : threads)
    t.join();
}

} // namespace sstep::reference
