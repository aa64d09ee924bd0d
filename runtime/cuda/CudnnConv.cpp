//===- CudnnConv.cpp - Convolutions of NHWC blocks on cuDNN ---------------===//

#include "runtime/cuda/CudnnConv.h"
#include "runtime/cuda/Check.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace sstep::cuda {

struct CudnnConv::Plan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t algorithm =
      CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  cudnnMathType_t mathType = CUDNN_DEFAULT_MATH;
  size_t workspace = 0;
  /// Whether `algorithm` was timed on this extent, not reused from another.
  bool searched = false;

  ~Plan() {
    cudnn().cudnnDestroyTensorDescriptor(x);
    cudnn().cudnnDestroyTensorDescriptor(y);
    cudnn().cudnnDestroyFilterDescriptor(w);
    cudnn().cudnnDestroyConvolutionDescriptor(conv);
  }
};

namespace {

cudnnDataType_t dataTypeOf(Precision p) {
  switch (p) {
  case Precision::F16:
    return CUDNN_DATA_HALF;
  case Precision::BF16:
    return CUDNN_DATA_BFLOAT16;
  case Precision::F32:
    break;
  }
  return CUDNN_DATA_FLOAT;
}

/// The most workspace an algorithm search may try: a quarter of what the
/// arena can spare, at most 256 MiB (the implicit-GEMM algorithms that
/// win on tiles need far less).
uint64_t workspaceLimit(const DeviceMemory &memory) {
  return std::min<uint64_t>(memory.arena().largestFree() / 4, 256ull << 20);
}

std::string pair(int64_t a, int64_t b) {
  return std::to_string(a) + "," + std::to_string(b);
}

} // namespace

std::string ConvShape::describe() const {
  return std::to_string(n) + "x" + std::to_string(h) + "x" + std::to_string(w) +
         "x" + std::to_string(c) + " by " + std::to_string(k) + " " +
         std::to_string(r) + "x" + std::to_string(s) + " filters, pad " +
         pair(padH, padW) + ", stride " + pair(strideH, strideW) +
         ", dilation " + pair(dilationH, dilationW) + ", groups " +
         std::to_string(groups);
}

namespace {

/// The cache file for this process's GPU, cuDNN and `precision`.
std::string cachePathFor(Precision precision) {
  int device = 0;
  cudaDeviceProp properties{};
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaGetDeviceProperties(&properties, device) != cudaSuccess)
    return "";
  const char *names[] = {"fp32", "fp16", "bf16"};
  return algorithmCachePath(
      std::string(properties.name) + " sm" + std::to_string(properties.major) +
          std::to_string(properties.minor),
      int64_t(cudnn().cudnnGetVersion()), names[int(precision)]);
}

} // namespace

CudnnConv::CudnnConv(Precision precision, DeviceMemory &memory,
                     cudaStream_t stream)
    : precision(precision), memory(memory),
      algorithms(cachePathFor(precision)) {
  SSTEP_CUDA(cudnn().cudnnCreate(&handle));
  SSTEP_CUDA(cudnn().cudnnSetStream(handle, stream));
}

CudnnConv::~CudnnConv() {
  for (auto &[key, plan] : plans)
    delete plan;
  cudnn().cudnnDestroy(handle);
}

CudnnConv::Plan &CudnnConv::planFor(const ConvShape &s, const void *x,
                                    const void *w, void *y) {
  auto found = plans.find(s.key());
  if (found != plans.end())
    return *found->second;
  auto plan = std::make_unique<Plan>();
  cudnnDataType_t type = dataTypeOf(precision);
  SSTEP_CUDA(cudnn().cudnnCreateTensorDescriptor(&plan->x));
  SSTEP_CUDA(cudnn().cudnnCreateTensorDescriptor(&plan->y));
  SSTEP_CUDA(cudnn().cudnnCreateFilterDescriptor(&plan->w));
  SSTEP_CUDA(cudnn().cudnnCreateConvolutionDescriptor(&plan->conv));
  SSTEP_CUDA(cudnn().cudnnSetTensor4dDescriptor(plan->x, CUDNN_TENSOR_NHWC,
                                                type, int(s.n), int(s.c),
                                                int(s.h), int(s.w)));
  SSTEP_CUDA(cudnn().cudnnSetFilter4dDescriptor(
      plan->w, type, CUDNN_TENSOR_NHWC, int(s.k), int(s.c / s.groups), int(s.r),
      int(s.s)));
  SSTEP_CUDA(cudnn().cudnnSetConvolution2dDescriptor(
      plan->conv, int(s.padH), int(s.padW), int(s.strideH), int(s.strideW),
      int(s.dilationH), int(s.dilationW), CUDNN_CROSS_CORRELATION,
      CUDNN_DATA_FLOAT));
  SSTEP_CUDA(cudnn().cudnnSetConvolutionGroupCount(plan->conv, int(s.groups)));
  useMathType(*plan, precision == Precision::F32 ? CUDNN_FMA_MATH
                                                 : CUDNN_TENSOR_OP_MATH);
  SSTEP_CUDA(cudnn().cudnnSetTensor4dDescriptor(plan->y, CUDNN_TENSOR_NHWC,
                                                type, int(s.n), int(s.k),
                                                int(s.outH()), int(s.outW())));

  // The algorithm depends on the channels and the filter far more than on
  // the block's extent, and border tiles come in many extents: one timed
  // search per geometry, its winner reused for every extent it supports.
  // Known from another extent, or from an earlier run's cache file.
  if (std::optional<AlgorithmChoice> known = algorithms.find(s.geometry())) {
    auto algorithm = cudnnConvolutionFwdAlgo_t(known->algorithm);
    useMathType(*plan, cudnnMathType_t(known->mathType));
    size_t need = workspaceFor(*plan, algorithm);
    if (need <= workspaceLimit(memory)) {
      plan->algorithm = algorithm;
      plan->workspace = need;
      fromCache += !searchedHere.count(s.geometry());
      return keep(s, std::move(plan));
    }
  }
  search(s, *plan, x, w, y);
  plan->searched = true;
  return keep(s, std::move(plan));
}

size_t CudnnConv::workspaceFor(const Plan &plan,
                               cudnnConvolutionFwdAlgo_t algorithm) {
  size_t bytes = 0;
  if (cudnn().cudnnGetConvolutionForwardWorkspaceSize(
          handle, plan.x, plan.w, plan.conv, plan.y, algorithm, &bytes) !=
      CUDNN_STATUS_SUCCESS)
    return SIZE_MAX;
  return bytes;
}

CudnnConv::Plan &CudnnConv::keep(const ConvShape &s,
                                 std::unique_ptr<Plan> plan) {
  Plan *raw = plan.release();
  plans[s.key()] = raw;
  return *raw;
}

void CudnnConv::search(const ConvShape &s, Plan &plan, const void *x,
                       const void *w, void *y) {
  auto start = std::chrono::steady_clock::now();
  uint64_t limit = workspaceLimit(memory);
  BufferRef scratch = limit ? memory.tryAllocate(limit) : nullptr;
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int returned = 0;
  ++searches;
  SSTEP_CUDA(cudnn().cudnnFindConvolutionForwardAlgorithmEx(
      handle, plan.x, x, plan.w, w, plan.conv, plan.y, y,
      CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf,
      scratch ? scratch->data() : nullptr, scratch ? scratch->size() : 0));
  bool chosen = false;
  for (int i = 0; i < returned && !chosen; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS)
      continue;
    // The search may report less workspace than the convolution then
    // demands (seen on cuDNN 9.14: 0 bytes for implicit precomputed GEMM
    // on a 4101x4311x3 block, which then failed with BAD_PARAM).
    useMathType(plan, perf[i].mathType);
    size_t need = std::max(perf[i].memory, workspaceFor(plan, perf[i].algo));
    if (need <= (scratch ? scratch->size() : 0)) {
      plan.algorithm = perf[i].algo;
      plan.workspace = need;
      chosen = true;
    }
  }
  if (chosen) {
    searchedHere.insert(s.geometry());
    algorithms.remember(s.geometry(),
                        {int(plan.algorithm), int(plan.mathType)});
  }
  searchTime += std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  if (!chosen)
    throw RuntimeError("cuDNN has no convolution algorithm for a " +
                       s.describe() + " within " + std::to_string(limit >> 20) +
                       " MiB of workspace");
}

void CudnnConv::useMathType(Plan &plan, cudnnMathType_t mathType) {
  // fp32 plans stay on FMA math: a TF32 algorithm would round the inputs.
  if (precision == Precision::F32)
    mathType = CUDNN_FMA_MATH;
  if (mathType == plan.mathType)
    return;
  SSTEP_CUDA(cudnn().cudnnSetConvolutionMathType(plan.conv, mathType));
  plan.mathType = mathType;
}

cudnnStatus_t CudnnConv::forward(const Plan &plan, const void *x, const void *w,
                                 void *y) {
  BufferRef workspace =
      plan.workspace ? memory.allocate(plan.workspace, "cuDNN's workspace")
                     : nullptr;
  float alpha = 1.0f, beta = 0.0f;
  return cudnn().cudnnConvolutionForward(
      handle, &alpha, plan.x, x, plan.w, w, plan.conv, plan.algorithm,
      workspace ? workspace->data() : nullptr, plan.workspace, &beta, plan.y,
      y);
}

void CudnnConv::run(const ConvShape &shape, const void *x, const void *w,
                    void *y) {
  Plan &plan = planFor(shape, x, w, y);
  cudnnStatus_t status = forward(plan, x, w, y);
  if (status != CUDNN_STATUS_SUCCESS && !plan.searched) {
    // An algorithm reused from another extent that fails on this one: time
    // the candidates on this extent after all.
    search(shape, plan, x, w, y);
    plan.searched = true;
    status = forward(plan, x, w, y);
  }
  if (status != CUDNN_STATUS_SUCCESS)
    throw RuntimeError(
        "cuDNN: the convolution of a " + shape.describe() + " with algorithm " +
        std::to_string(int(plan.algorithm)) + " and " +
        std::to_string(plan.workspace) +
        " bytes of workspace failed: " + cudnn().cudnnGetErrorString(status));
}

} // namespace sstep::cuda
