//===- CudaBackend.h - The CUDA backend: cuDNN and generated kernels -*- C++
//-*-===//
//
// Runs a stage's tile nodes on one GPU from plans compiled with
// --target=cuda: convolutions on cuDNN (NHWC, in the plan's precision), and
// everything the compiler generated a kernel for (Program::kernels: fused
// element-wise chains and convolution epilogues, pooling, pad, resize,
// concat) as those kernels, each run in place of the nodes it lists. A node
// with neither runs on the reference kernels on the host for that block, so
// every plan runs; --stats counts such nodes ("host_nodes").
//
// Blocks live in the backend's device arena (DeviceMemory.h) between the
// nodes of a tile; only the tile's inputs go up and its sinks come down.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CUDA_CUDABACKEND_H
#define SSTEP_RUNTIME_CUDA_CUDABACKEND_H

#include "runtime/exec/Backend.h"

#include <cstdint>
#include <memory>

namespace sstep::cuda {

/// Whether this process can use a GPU (a device and a driver); `reason`
/// says why not.
bool deviceAvailable(std::string *reason = nullptr);

/// Makes the CUDA backend: `deviceMemory` bytes of device memory (0: half of
/// what is free), `threads` host threads for the nodes that run on the
/// host. Throws RuntimeError without a usable GPU.
std::unique_ptr<exec::Backend> makeCudaBackend(int threads,
                                               uint64_t deviceMemory);

} // namespace sstep::cuda

#endif // SSTEP_RUNTIME_CUDA_CUDABACKEND_H
