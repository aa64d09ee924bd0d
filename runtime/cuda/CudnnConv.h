//===- CudnnConv.h - Convolutions of NHWC blocks on cuDNN --------*- C++
//-*-===//
//
// One convolution geometry (a tile shape of one node) gets its descriptors
// and its algorithm once: cuDNN times its candidates on the first tile of
// that shape (cudnnFindConvolutionForwardAlgorithmEx) and the fastest that
// fits the workspace the arena can spare is kept for every later tile, and
// in a cache file for later runs on the same GPU (AlgorithmCache.h), with
// the math type it was timed with.
// fp32 plans run with FMA math only, so no TF32 rounding creeps in; fp16 and
// bf16 plans use tensor cores with fp32 accumulation.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CUDA_CUDNNCONV_H
#define SSTEP_RUNTIME_CUDA_CUDNNCONV_H

#include "runtime/cuda/AlgorithmCache.h"
#include "runtime/cuda/DeviceMemory.h"
#include "runtime/cuda/Layout.h"

#include "runtime/cuda/Cudnn.h"

#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace sstep::cuda {

struct ConvShape {
  int64_t n = 1, c = 0, h = 0, w = 0; // input, NHWC
  int64_t k = 0, r = 0, s = 0;        // filters, KRSC
  int64_t padH = 0, padW = 0, strideH = 1, strideW = 1;
  int64_t dilationH = 1, dilationW = 1, groups = 1;

  std::array<int64_t, 14> key() const {
    return {n,    c,    h,       w,       k,         r,         s,
            padH, padW, strideH, strideW, dilationH, dilationW, groups};
  }
  /// The key without the block's extent.
  std::array<int64_t, 12> geometry() const {
    return {n,    c,       k,       r,         s,         padH,
            padW, strideH, strideW, dilationH, dilationW, groups};
  }
  int64_t outH() const {
    return (h + 2 * padH - dilationH * (r - 1) - 1) / strideH + 1;
  }
  int64_t outW() const {
    return (w + 2 * padW - dilationW * (s - 1) - 1) / strideW + 1;
  }
  /// "1x35x35x64 by 64 3x3 filters, pad 1,1, stride 1,1, dilation 1,1,
  /// groups 1", for errors.
  std::string describe() const;
};

class CudnnConv {
public:
  CudnnConv(Precision precision, DeviceMemory &memory, cudaStream_t stream);
  ~CudnnConv();
  CudnnConv(const CudnnConv &) = delete;
  CudnnConv &operator=(const CudnnConv &) = delete;

  /// y = conv(x, w): x NHWC [n, h, w, c], w KRSC, y NHWC [n, outH, outW, k].
  void run(const ConvShape &shape, const void *x, const void *w, void *y);

  int64_t algorithmSearches() const { return searches; }
  int64_t searchMicroseconds() const { return searchTime; }
  /// Geometries whose algorithm came from an earlier run's cache file.
  int64_t algorithmsFromCache() const { return fromCache; }
  /// The cache file ("" when there is none) and why it was not used.
  const AlgorithmCache &algorithmCache() const { return algorithms; }

private:
  struct Plan;
  Plan &planFor(const ConvShape &shape, const void *x, const void *w, void *y);
  /// Times cuDNN's candidates on this block and keeps the fastest that fits.
  void search(const ConvShape &shape, Plan &plan, const void *x, const void *w,
              void *y);
  /// The workspace `algorithm` needs for `plan`; SIZE_MAX if unsupported.
  size_t workspaceFor(const Plan &plan, cudnnConvolutionFwdAlgo_t algorithm);
  Plan &keep(const ConvShape &shape, std::unique_ptr<Plan> plan);
  /// Sets the descriptor's math type (FMA whatever is asked for fp32).
  void useMathType(Plan &plan, cudnnMathType_t mathType);
  cudnnStatus_t forward(const Plan &plan, const void *x, const void *w,
                        void *y);

  Precision precision;
  DeviceMemory &memory;
  cudnnHandle_t handle = nullptr;
  std::map<std::array<int64_t, 14>, Plan *> plans;
  /// Each geometry's choice: timed in this process, or read from the
  /// cache file of an earlier one (AlgorithmCache.h).
  AlgorithmCache algorithms;
  int64_t searches = 0, searchTime = 0, fromCache = 0;
  /// The geometries timed in this process.
  std::set<std::array<int64_t, 12>> searchedHere;
};

} // namespace sstep::cuda

#endif // SSTEP_RUNTIME_CUDA_CUDNNCONV_H
