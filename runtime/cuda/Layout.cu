//===- Layout.cu - Moving blocks between the host's and the GPU's layouts -===//

#include "runtime/cuda/Layout.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>

namespace sstep::cuda {
namespace {

__device__ __forceinline__ float toFloat(float v) { return v; }
__device__ __forceinline__ float toFloat(__half v) { return __half2float(v); }
__device__ __forceinline__ float toFloat(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
template <typename T> __device__ __forceinline__ T fromFloat(float v);
template <> __device__ __forceinline__ float fromFloat<float>(float v) {
  return v;
}
template <> __device__ __forceinline__ __half fromFloat<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 fromFloat<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

#define SSTEP_GRID_LOOP(i, count)                                              \
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;         \
       i < (count); i += (long long)gridDim.x * blockDim.x)

template <typename T>
__global__ void toDeviceKernel(const float *src, T *dst, long long n,
                               long long c, long long h, long long w) {
  SSTEP_GRID_LOOP(i, n * c * h * w) {
    long long ch = i % c, t = i / c;
    long long x = t % w;
    t /= w;
    long long y = t % h, b = t / h;
    dst[i] = fromFloat<T>(src[((b * c + ch) * h + y) * w + x]);
  }
}

template <typename T>
__global__ void toHostKernel(const T *src, long long srcRows, long long srcCols,
                             long long y0, long long x0, float *dst,
                             long long n, long long c, long long rows,
                             long long cols) {
  SSTEP_GRID_LOOP(i, n * c * rows * cols) {
    long long x = i % cols, t = i / cols;
    long long y = t % rows;
    t /= rows;
    long long ch = t % c, b = t / c;
    dst[i] = toFloat(src[((b * srcRows + y + y0) * srcCols + x + x0) * c + ch]);
  }
}

template <typename T>
__global__ void gatherKernel(const T *src, long long srcY0, long long srcX0,
                             long long srcRows, long long srcCols, T *dst,
                             long long y0, long long x0, long long rows,
                             long long cols, long long n, long long c) {
  SSTEP_GRID_LOOP(i, n * rows * cols * c) {
    long long ch = i % c, t = i / c;
    long long x = t % cols;
    t /= cols;
    long long y = t % rows, b = t / rows;
    long long sy = y0 + y - srcY0, sx = x0 + x - srcX0;
    bool inside = sy >= 0 && sy < srcRows && sx >= 0 && sx < srcCols;
    dst[i] = inside ? src[((b * srcRows + sy) * srcCols + sx) * c + ch]
                    : fromFloat<T>(0.0f);
  }
}

/// Enough blocks of 256 threads for `count` elements, capped: the kernels
/// loop over the rest.
dim3 gridFor(long long count) {
  return dim3(unsigned(std::min<long long>((count + 255) / 256, 1 << 16)));
}

template <template <typename> class F, typename... Args>
void dispatch(Precision p, Args &&...args) {
  switch (p) {
  case Precision::F32:
    F<float>::run(args...);
    break;
  case Precision::F16:
    F<__half>::run(args...);
    break;
  case Precision::BF16:
    F<__nv_bfloat16>::run(args...);
    break;
  }
}

template <typename T> struct ToDevice {
  static void run(const float *src, void *dst, long long n, long long c,
                  long long h, long long w, cudaStream_t s) {
    long long count = n * c * h * w;
    if (count > 0)
      toDeviceKernel<T>
          <<<gridFor(count), 256, 0, s>>>(src, (T *)dst, n, c, h, w);
  }
};

template <typename T> struct ToHost {
  static void run(const void *src, long long srcRows, long long srcCols,
                  long long y, long long x, float *dst, long long n,
                  long long c, long long rows, long long cols, cudaStream_t s) {
    long long count = n * c * rows * cols;
    if (count > 0)
      toHostKernel<T><<<gridFor(count), 256, 0, s>>>(
          (const T *)src, srcRows, srcCols, y, x, dst, n, c, rows, cols);
  }
};

template <typename T> struct Gather {
  static void run(const void *src, long long srcY0, long long srcX0,
                  long long srcRows, long long srcCols, void *dst, long long y0,
                  long long x0, long long rows, long long cols, long long n,
                  long long c, cudaStream_t s) {
    long long count = n * c * rows * cols;
    if (count > 0)
      gatherKernel<T><<<gridFor(count), 256, 0, s>>>(
          (const T *)src, srcY0, srcX0, srcRows, srcCols, (T *)dst, y0, x0,
          rows, cols, n, c);
  }
};

} // namespace

void toDevice(Precision p, const float *src, void *dst, int64_t n, int64_t c,
              int64_t h, int64_t w, cudaStream_t stream) {
  dispatch<ToDevice>(p, src, dst, (long long)n, (long long)c, (long long)h,
                     (long long)w, stream);
}

void toHost(Precision p, const void *src, int64_t srcRows, int64_t srcCols,
            int64_t y, int64_t x, float *dst, int64_t n, int64_t c,
            int64_t rows, int64_t cols, cudaStream_t stream) {
  dispatch<ToHost>(p, src, (long long)srcRows, (long long)srcCols, (long long)y,
                   (long long)x, dst, (long long)n, (long long)c,
                   (long long)rows, (long long)cols, stream);
}

void gatherPadded(Precision p, const void *src, int64_t srcY0, int64_t srcX0,
                  int64_t srcRows, int64_t srcCols, void *dst, int64_t y0,
                  int64_t x0, int64_t rows, int64_t cols, int64_t n, int64_t c,
                  cudaStream_t stream) {
  dispatch<Gather>(p, src, (long long)srcY0, (long long)srcX0,
                   (long long)srcRows, (long long)srcCols, dst, (long long)y0,
                   (long long)x0, (long long)rows, (long long)cols,
                   (long long)n, (long long)c, stream);
}

} // namespace sstep::cuda
