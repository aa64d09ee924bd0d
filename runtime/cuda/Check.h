//===- Check.h - CUDA and cuDNN errors as RuntimeErrors ----------*- C++
//-*-===//

#ifndef SSTEP_RUNTIME_CUDA_CHECK_H
#define SSTEP_RUNTIME_CUDA_CHECK_H

#include "runtime/core/RuntimeError.h"

#include "runtime/cuda/Cudnn.h"
#include <cuda_runtime.h>

#include <string>

namespace sstep::cuda {

inline void check(cudaError_t status, const char *what) {
  if (status != cudaSuccess)
    throw RuntimeError(std::string("CUDA: ") + what + ": " +
                       cudaGetErrorString(status));
}

inline void check(cudnnStatus_t status, const char *what) {
  if (status != CUDNN_STATUS_SUCCESS)
    throw RuntimeError(std::string("cuDNN: ") + what + ": " +
                       cudnn().cudnnGetErrorString(status));
}

} // namespace sstep::cuda

#define SSTEP_CUDA(call) ::sstep::cuda::check((call), #call)

#endif // SSTEP_RUNTIME_CUDA_CHECK_H
