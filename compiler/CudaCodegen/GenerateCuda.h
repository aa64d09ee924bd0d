//===- GenerateCuda.h - A Program's CUDA kernels, compiled -------*- C++
//-*-===//
//
// The CUDA code generator, read top to bottom: group the tile nodes into
// kernels (KernelGrouping.h), write their CUDA C++ (EmitCuda.h), compile it
// ahead of time with nvcc for every architecture we ship, and attach the
// fatbin and the kernel table to the Program (Program::kernels), which the
// plan then carries to the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_COMPILER_CUDACODEGEN_GENERATECUDA_H
#define SSTEP_COMPILER_CUDACODEGEN_GENERATECUDA_H

#include "runtime/core/Program.h"

#include <string>
#include <vector>

namespace sstep::cuda {

struct CudaOptions {
  /// Storage type of the blocks: "fp32", "fp16" or "bf16".
  std::string precision = "fp32";
  /// SM versions to compile for; PTX of the last is kept as well, so newer
  /// GPUs can run the plan too.
  std::vector<int> architectures = {80, 90};
  /// nvcc to run; empty: $SSTEP_NVCC, else the one this build found.
  std::string nvcc;
  /// Folders for the source's #includes (-I).
  std::vector<std::string> includeDirs;
};

/// The CUDA C++ source generateCudaKernels compiles (--emit=cuda).
std::string cudaSource(const Program &program, const std::string &precision);

/// Generates, compiles and attaches `program`'s kernels. Throws RuntimeError
/// when nvcc is missing or fails (with its messages).
void generateCudaKernels(Program &program, const CudaOptions &options);

/// Runs nvcc on `source`; returns the fatbin's bytes.
std::string compileFatbin(const std::string &source,
                          const CudaOptions &options);

/// Runs nvcc on `source`; returns the PTX for the last of the options'
/// architectures (what the tests read to check the generated arithmetic).
std::string compilePtx(const std::string &source, const CudaOptions &options);

} // namespace sstep::cuda

#endif // SSTEP_COMPILER_CUDACODEGEN_GENERATECUDA_H
