//===- EmitCuda.h - CUDA C++ for the kernels KernelGrouping chose -*- C++
//-*-===//
//
// Each kernel is specialised to its nodes: window sizes, strides, pads,
// modes, channel counts and small constants (biases, scales) are written
// into the source; only the tile's geometry (block origins and sizes, image
// sizes) arrives at run time, in SStepArgs (runtime/cuda/KernelAbi.h). One
// thread computes one output element; blocks are NHWC in the plan's storage
// type and arithmetic is fp32.
//
// Example: an epilogue {conv (bias b), relu} becomes
//
//   __device__ const float c4[64] = {...};        // b
//   extern "C" __global__ void sstep_k0(SStepArgs a) {
//     SSTEP_FOR_EACH_OUTPUT(a, 64) {
//       float v5 = ld(a.in[0], n, c, Y, X) + c4[c];
//       float v6 = fmaxf(v5, 0.0f);
//       st(a.out, (long long)r_ * rowElements_ + e_, v6);
//     }
//   }
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_COMPILER_CUDACODEGEN_EMITCUDA_H
#define SSTEP_COMPILER_CUDACODEGEN_EMITCUDA_H

#include "runtime/core/Program.h"

#include <string>
#include <vector>

namespace sstep::cuda {

/// The whole translation unit for `kernels`, with blocks of `precision`
/// ("fp32", "fp16" or "bf16").
std::string emitCudaSource(const Program &program,
                           const std::vector<GeneratedKernel> &kernels,
                           const std::string &precision);

} // namespace sstep::cuda

#endif // SSTEP_COMPILER_CUDACODEGEN_EMITCUDA_H
