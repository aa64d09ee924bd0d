//===- LoadProgram.cpp - A model file to a runnable Program ---------------===//

#include "tools/sstep-run/LoadProgram.h"
#include "compiler/CudaCodegen/GenerateCuda.h"
#include "compiler/Pipeline/Pipeline.h"
#include "runtime/core/PlanFile.h"

namespace sstep {

Program loadProgram(const std::string &path, PlanInfo *info,
                    const std::string &backend) {
  // By content, not by name: a plan renamed .onnx is still a plan.
  if (isPlanFile(path))
    return readPlan(path, info);
  PipelineOptions options;
  options.toolName = "sstep-run";
  try {
    // Only the Program leaves: the module and its copy of the weights die
    // with the compilation's context here.
    Program program = std::move(compileModel(path, options).program);
    if (backend == "cuda")
      cuda::generateCudaKernels(program, cuda::CudaOptions());
    return program;
  } catch (const CompileError &e) {
    throw BadModel(e.what());
  }
}

} // namespace sstep
