//===- Cudnn.h - cuDNN, loaded when the cuda backend starts ------*- C++
//-*-===//
//
// cuDNN is opened with dlopen the first time a convolution needs it, not
// linked: binaries built with CUDA then start, and run the cpu and reference
// backends, on machines without cuDNN (CPU-only clusters), and only
// `--backend=cuda` says that cuDNN is missing. (cudart is linked statically
// and opens the driver the same way.)
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CUDA_CUDNN_H
#define SSTEP_RUNTIME_CUDA_CUDNN_H

#include <cudnn.h>

namespace sstep::cuda {

#define SSTEP_CUDNN_FUNCTIONS(X)                                               \
  X(cudnnGetErrorString)                                                       \
  X(cudnnGetVersion)                                                           \
  X(cudnnCreate)                                                               \
  X(cudnnDestroy)                                                              \
  X(cudnnSetStream)                                                            \
  X(cudnnCreateTensorDescriptor)                                               \
  X(cudnnDestroyTensorDescriptor)                                              \
  X(cudnnSetTensor4dDescriptor)                                                \
  X(cudnnCreateFilterDescriptor)                                               \
  X(cudnnDestroyFilterDescriptor)                                              \
  X(cudnnSetFilter4dDescriptor)                                                \
  X(cudnnCreateConvolutionDescriptor)                                          \
  X(cudnnDestroyConvolutionDescriptor)                                         \
  X(cudnnSetConvolution2dDescriptor)                                           \
  X(cudnnSetConvolutionGroupCount)                                             \
  X(cudnnSetConvolutionMathType)                                               \
  X(cudnnFindConvolutionForwardAlgorithmEx)                                    \
  X(cudnnGetConvolutionForwardWorkspaceSize)                                   \
  X(cudnnConvolutionForward)

struct CudnnApi {
#define SSTEP_CUDNN_POINTER(name) decltype(&::name) name = nullptr;
  SSTEP_CUDNN_FUNCTIONS(SSTEP_CUDNN_POINTER)
#undef SSTEP_CUDNN_POINTER
};

/// cuDNN's functions, loaded on first use from libcudnn.so.9 (or
/// $SSTEP_CUDNN); throws RuntimeError naming the library when it cannot.
const CudnnApi &cudnn();

} // namespace sstep::cuda

#endif // SSTEP_RUNTIME_CUDA_CUDNN_H
