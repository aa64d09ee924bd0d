//===- CompileInMemory.cpp - sstep-run's ONNX compiler, loaded on demand --===//
//
// A module that sstep-run opens only when it is given an ONNX model: the
// compiler links LLVM and MLIR, whose libraries cost a plan run 40 MiB of
// resident memory and startup time for nothing. The entry point catches
// everything, so no exception crosses the dlopen boundary.
//
//===----------------------------------------------------------------------===//

#include "compiler/CudaCodegen/GenerateCuda.h"
#include "compiler/Pipeline/Pipeline.h"
#include "tools/sstep-run/LoadProgram.h"

#include <exception>

extern "C" __attribute__((visibility("default"))) bool
sstepCompileInMemory(const std::string &path, const std::string &backend,
                     sstep::Program *program, std::string *error) {
  using namespace sstep;
  PipelineOptions options;
  options.toolName = "sstep-run";
  try {
    // Only the Program leaves: the module and its copy of the weights die
    // with the compilation's context here.
    *program = std::move(compileModel(path, options).program);
    if (backend == "cuda")
      cuda::generateCudaKernels(*program, cuda::CudaOptions());
    return true;
  } catch (const std::exception &e) {
    *error = e.what();
  } catch (...) {
    *error = path + ": the compiler failed";
  }
  return false;
}
