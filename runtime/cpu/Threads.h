//===- Threads.h - The cpu backend's one team of threads ---------*- C++
//-*-===//
//
// oneDNN runs on GNU OpenMP, whose threads spin for a while after each
// primitive. Reference kernels between primitives (ops oneDNN lacks, the
// backward pass's pointwise gradients) run on that same team rather than on
// threads of their own, which would compete with the spinning ones for the
// cores. Both the thread count and the team are set here, for both.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CPU_THREADS_H
#define SSTEP_RUNTIME_CPU_THREADS_H

namespace sstep::cpu {

/// Sets oneDNN's and the reference kernels' thread count (0: leave it as it
/// is, every core by default) and puts the reference kernels on OpenMP.
void useThreads(int threads);

/// OpenMP's thread count now.
int threadsNow();

} // namespace sstep::cpu

#endif // SSTEP_RUNTIME_CPU_THREADS_H
