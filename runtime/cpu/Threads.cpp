//===- Threads.cpp - The cpu backend's one team of threads ----------------===//

#include "runtime/cpu/Threads.h"
#include "runtime/reference/Kernels.h"

#include <functional>

// libgomp's entry points, as GCC's `#pragma omp parallel` calls them: the
// project builds with clang, whose -fopenmp would want libomp instead.
extern "C" {
void omp_set_num_threads(int threads);
int omp_get_max_threads();
void GOMP_parallel(void (*fn)(void *), void *data, unsigned threads,
                   unsigned flags);
}

namespace sstep::cpu {
namespace {

void runBody(void *body) {
  (*static_cast<const std::function<void()> *>(body))();
}

void openMpTeam(int workers, const std::function<void()> &body) {
  GOMP_parallel(runBody, const_cast<std::function<void()> *>(&body),
                unsigned(workers), 0);
}

} // namespace

void useThreads(int threads) {
  if (threads > 0) {
    omp_set_num_threads(threads);
    reference::setThreadCount(threads);
  }
  reference::setTeamRunner(openMpTeam);
}

int threadsNow() { return omp_get_max_threads(); }

} // namespace sstep::cpu
