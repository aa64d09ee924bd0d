//===- KernelLibrary.cpp - The plan's generated kernels, loaded -----------===//

#include "runtime/cuda/KernelLibrary.h"
#include "runtime/cuda/Check.h"
#include "runtime/cuda/LaunchGrid.h"

#include <algorithm>

namespace sstep::cuda {

KernelLibrary::KernelLibrary(const KernelModule &module) {
  if (module.kernels.empty())
    return;
  cudaError_t status = cudaLibraryLoadData(
      &library, module.image.data(), nullptr, nullptr, 0, nullptr, nullptr, 0);
  if (status != cudaSuccess)
    throw RuntimeError(std::string("CUDA: cannot load the plan's kernels "
                                   "(built for ") +
                       module.architectures +
                       "): " + cudaGetErrorString(status));
  for (const GeneratedKernel &kernel : module.kernels) {
    cudaKernel_t handle = nullptr;
    SSTEP_CUDA(cudaLibraryGetKernel(&handle, library, kernel.symbol.c_str()));
    kernels.push_back(handle);
  }
  int device = 0, sms = 0;
  SSTEP_CUDA(cudaGetDevice(&device));
  SSTEP_CUDA(
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  // Enough 256-thread blocks to fill every SM several times over; the
  // kernels' grid-stride loops cover the rest (LaunchGrid.h).
  maxBlocks = unsigned(std::max(sms, 1) * 32);
}

KernelLibrary::~KernelLibrary() {
  if (library)
    cudaLibraryUnload(library);
}

void KernelLibrary::launch(size_t index, SStepArgs &args, cudaStream_t stream) {
  LaunchGrid grid = launchGrid(args.out, maxBlocks);
  if (args.count <= 0 || grid.x == 0)
    return;
  void *params[] = {&args};
  SSTEP_CUDA(cudaLaunchKernel(reinterpret_cast<const void *>(kernels[index]),
                              dim3(grid.x, grid.y), dim3(LaunchGrid::kThreads),
                              params, 0, stream));
  ++count;
}

} // namespace sstep::cuda
