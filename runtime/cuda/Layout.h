//===- Layout.h - Moving blocks between the host's and the GPU's layouts -*- C++
//-*-===//
//
// The executor hands blocks over as NCHW float32; on the GPU every block is
// NHWC in the plan's storage type (what cuDNN's tensor-core convolutions
// and the generated kernels read). These are the runtime's own kernels,
// the same for every model: conversions both ways (a weight tensor is a
// block too: OIHW in, KRSC out) and the zero-padded gather that gives a
// border tile's convolution the padding the whole image would have.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CUDA_LAYOUT_H
#define SSTEP_RUNTIME_CUDA_LAYOUT_H

#include <cstdint>

typedef struct CUstream_st *cudaStream_t;

namespace sstep::cuda {

enum class Precision { F32, F16, BF16 };

/// Bytes per element of `p`.
inline int64_t elementBytes(Precision p) { return p == Precision::F32 ? 4 : 2; }

/// dst (NHWC, `p`) = src (NCHW float), both [n, c, h, w] packed.
void toDevice(Precision p, const float *src, void *dst, int64_t n, int64_t c,
              int64_t h, int64_t w, cudaStream_t stream);

/// dst (NCHW float, [n, c, rows, cols]) = rows [y, y + rows) and columns
/// [x, x + cols) of src (NHWC, `p`, [n, srcRows, srcCols, c]).
void toHost(Precision p, const void *src, int64_t srcRows, int64_t srcCols,
            int64_t y, int64_t x, float *dst, int64_t n, int64_t c,
            int64_t rows, int64_t cols, cudaStream_t stream);

/// dst (NHWC, [n, rows, cols, c]) covering image rows [y0, y0 + rows) and
/// columns [x0, x0 + cols), from src (NHWC, placed at srcY0, srcX0 with
/// srcRows x srcCols); pixels outside src or outside the image are zero.
void gatherPadded(Precision p, const void *src, int64_t srcY0, int64_t srcX0,
                  int64_t srcRows, int64_t srcCols, void *dst, int64_t y0,
                  int64_t x0, int64_t rows, int64_t cols, int64_t n, int64_t c,
                  cudaStream_t stream);

} // namespace sstep::cuda

#endif // SSTEP_RUNTIME_CUDA_LAYOUT_H
