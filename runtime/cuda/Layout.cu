//===- Layout.cu - Moving blocks between the host's and the GPU's layouts -===//

#include "runtime/cuda/LaunchGrid.h"
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

// Rows across the grid's y, the elements of a row across its x, in 32-bit
// indices (launchGrid refuses blocks that do not fit): what divides per
// element divides in 32 bits, and the rest once per row.
#define SSTEP_ROW_LOOP(r, rows, e, rowElements)                                \
  for (int r = blockIdx.y; r < (rows); r += gridDim.y)                         \
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < (rowElements);     \
         e += gridDim.x * blockDim.x)

/// NCHW float32 rows (b, y) to NHWC: a row's elements are (x, ch).
template <typename T>
__global__ void toDeviceKernel(const float *src, T *dst, int n, int c, int h,
                               int w) {
  const int rowElements = w * c;
  SSTEP_ROW_LOOP(r, n * h, e, rowElements) {
    int ch = e % c, x = e / c, y = r % h, b = r / h;
    dst[(long long)r * rowElements + e] =
        fromFloat<T>(src[((long long)(b * c + ch) * h + y) * w + x]);
  }
}

/// NHWC rows to NCHW float32 rows (b, ch, y): a row's elements are x.
template <typename T>
__global__ void toHostKernel(const T *src, long long srcRows, long long srcCols,
                             int y0, int x0, float *dst, int n, int c, int rows,
                             int cols) {
  SSTEP_ROW_LOOP(r, n * c * rows, x, cols) {
    int y = r % rows, t = r / rows, ch = t % c, b = t / c;
    dst[(long long)r * cols + x] =
        toFloat(src[((b * srcRows + y + y0) * srcCols + x + x0) * c + ch]);
  }
}

/// NHWC rows (b, y) of a block placed at (y0, x0), from a smaller block at
/// (srcY0, srcX0), zeros outside it.
template <typename T>
__global__ void gatherKernel(const T *src, int srcY0, int srcX0, int srcRows,
                             int srcCols, T *dst, int y0, int x0, int rows,
                             int cols, int n, int c) {
  const int rowElements = cols * c;
  SSTEP_ROW_LOOP(r, n * rows, e, rowElements) {
    int ch = e % c, x = e / c, y = r % rows, b = r / rows;
    int sy = y0 + y - srcY0, sx = x0 + x - srcX0;
    bool inside = sy >= 0 && sy < srcRows && sx >= 0 && sx < srcCols;
    dst[(long long)r * rowElements + e] =
        inside ? src[(((long long)b * srcRows + sy) * srcCols + sx) * c + ch]
               : fromFloat<T>(0.0f);
  }
}

/// At most 65536 blocks of 256 threads: the kernels loop over the rest.
dim3 gridFor(long long rows, long long rowElements, const char *what) {
  LaunchGrid grid = launchGrid(rows, rowElements, 1u << 16, what);
  return dim3(grid.x, grid.y);
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
    if (n * c * h * w > 0)
      toDeviceKernel<T><<<gridFor(n * h, w * c, "an upload"), 256, 0, s>>>(
          src, (T *)dst, int(n), int(c), int(h), int(w));
  }
};

template <typename T> struct ToHost {
  static void run(const void *src, long long srcRows, long long srcCols,
                  long long y, long long x, float *dst, long long n,
                  long long c, long long rows, long long cols, cudaStream_t s) {
    if (n * c * rows * cols > 0)
      toHostKernel<T><<<gridFor(n * c * rows, cols, "a download"), 256, 0, s>>>(
          (const T *)src, srcRows, srcCols, int(y), int(x), dst, int(n), int(c),
          int(rows), int(cols));
  }
};

template <typename T> struct Gather {
  static void run(const void *src, long long srcY0, long long srcX0,
                  long long srcRows, long long srcCols, void *dst, long long y0,
                  long long x0, long long rows, long long cols, long long n,
                  long long c, cudaStream_t s) {
    if (n * c * rows * cols > 0)
      gatherKernel<T>
          <<<gridFor(n * rows, cols * c, "a padded block"), 256, 0, s>>>(
              (const T *)src, int(srcY0), int(srcX0), int(srcRows),
              int(srcCols), (T *)dst, int(y0), int(x0), int(rows), int(cols),
              int(n), int(c));
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
