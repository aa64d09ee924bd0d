//===- CudaHostShim.h - Generated CUDA kernels compiled as host C++ -------===//
//
// CudaKernelEmulationTest compiles the fp32 kernels the generator writes with
// the host compiler, through this header: one "thread" (grid and block of 1)
// walks every output element, so each kernel's arithmetic and its block and
// border geometry are checked against the reference without a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TEST_UNIT_CUDAHOSTSHIM_H
#define SSTEP_TEST_UNIT_CUDAHOSTSHIM_H

#include <cmath>
#include <cstring>

#define __device__
#define __global__
#define __forceinline__ inline
#define __launch_bounds__(threads)

struct SStepHostDim3 {
  unsigned x, y, z;
};
static const SStepHostDim3 blockIdx{0, 0, 0}, threadIdx{0, 0, 0},
    blockDim{1, 1, 1}, gridDim{1, 1, 1};

inline float __int_as_float(unsigned bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
using std::isnan;

#endif // SSTEP_TEST_UNIT_CUDAHOSTSHIM_H
