//===- KernelLibrary.h - The plan's generated kernels, loaded ----*- C++
//-*-===//
//
// The fatbin the compiler wrote into the plan is loaded with the CUDA
// runtime's library API (no link against the driver library), and each
// kernel of the plan's table is looked up by its symbol once.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CUDA_KERNELLIBRARY_H
#define SSTEP_RUNTIME_CUDA_KERNELLIBRARY_H

#include "runtime/core/KernelModule.h"
#include "runtime/cuda/KernelAbi.h"

#include <cuda_runtime.h>

#include <vector>

namespace sstep::cuda {

static_assert(SSTEP_MAX_KERNEL_INPUTS == kMaxKernelInputs,
              "KernelAbi.h and KernelModule.h disagree");

class KernelLibrary {
public:
  /// Loads `module`'s image; throws RuntimeError when the image has no code
  /// for this GPU (the plan names the architectures it was built for).
  explicit KernelLibrary(const KernelModule &module);
  ~KernelLibrary();
  KernelLibrary(const KernelLibrary &) = delete;
  KernelLibrary &operator=(const KernelLibrary &) = delete;

  /// Runs kernel `index` of the module over args.out's elements, on a
  /// launchGrid (LaunchGrid.h).
  void launch(size_t index, SStepArgs &args, cudaStream_t stream);

  int64_t launches() const { return count; }

private:
  cudaLibrary_t library = nullptr;
  std::vector<cudaKernel_t> kernels;
  unsigned maxBlocks = 1 << 16;
  int64_t count = 0;
};

} // namespace sstep::cuda

#endif // SSTEP_RUNTIME_CUDA_KERNELLIBRARY_H
