//===- CompileInMemory.cpp - sstep-run's ONNX compiler, loaded on demand --===//
//
// A module that sstep-run opens only when it is given an ONNX model: the
// compiler links LLVM and MLIR, whose libraries cost a plan run 40 MiB of
// resident memory and startup time for nothing. The entry point catches
// everything, so no exception crosses the dlopen boundary.
//
//===----------------------------------------------------------------------===//

#include "tools/sstep-run/CompileInMemory.h"
#include "compiler/CudaCodegen/GenerateCuda.h"
#include "compiler/Pipeline/Pipeline.h"
#include "runtime/core/BufferPool.h"
#include "tools/sstep-run/LoadProgram.h"

#include <exception>
#include <malloc.h>
#include <stdexcept>
#include <type_traits>

/// The loader's buffer pool becomes this module's (it links its own copy
/// of the runtime core): tensors the compiler makes and frees serve the
/// loader's later runs instead of staying resident here.
extern "C" __attribute__((visibility("default"))) void
sstepAdoptBufferPool(sstep::BufferPool *pool) {
  sstep::BufferPool::adoptProcessPool(*pool);
}

extern "C" __attribute__((visibility("default"))) bool
sstepCompileInMemory(const std::string &path,
                     const sstep::InMemoryCompileOptions &given,
                     sstep::Program *program, std::string *error) {
  using namespace sstep;
  const std::string &backend = given.backend, &precision = given.precision;
  PipelineOptions options;
  options.toolName = "sstep-run";
  try {
    if (given.recompute != "auto" && given.recompute != "always" &&
        given.recompute != "never")
      throw std::invalid_argument("recompute '" + given.recompute +
                                  "': auto, always or never");
    options.recompute = given.recompute;
    if (precision != "fp32" && precision != "fp16" && precision != "bf16")
      throw std::invalid_argument("precision '" + precision +
                                  "': fp32, fp16 or bf16");
    if (precision != "fp32" && backend != "cuda")
      throw std::invalid_argument("precision '" + precision +
                                  "' is the cuda target's; the " + backend +
                                  " target computes in fp32");
    // Only the Program leaves: the module and its copy of the weights die
    // with the compilation's context here.
    *program = std::move(compileModel(path, options).program);
    if (backend == "cuda") {
      cuda::CudaOptions cudaOptions;
      cudaOptions.precision = precision;
      cuda::generateCudaKernels(*program, cudaOptions);
    }
    // The context's arenas, the parser's buffers and the weights' copies
    // are freed, but glibc and the pool keep their pages (about 140 MiB for
    // ResNet-34), resident beside the runs that follow: give them back.
    ::malloc_trim(0);
    BufferPool::process().returnFreePages();
    return true;
  } catch (const std::exception &e) {
    *error = e.what();
  } catch (...) {
    *error = path + ": the compiler failed";
  }
  return false;
}

// The loaders call through CompileInMemoryFn: the definition must match it.
static_assert(
    std::is_same_v<decltype(&sstepCompileInMemory), sstep::CompileInMemoryFn>);
