//===- LoadPlan.cpp - sstep-run's front door: plans, or the compiler ------===//
//
// A plan is read as is, without MLIR. Anything else goes to the compiler
// module (CompileInMemory.cpp) beside the binary, opened only then; a build
// without the compiler (a GPU machine that lacks Debian's MLIR packages, see
// scripts/gpu-check.sh) has none and says so.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/BufferPool.h"
#include "runtime/core/PlanFile.h"
#include "tools/sstep-run/CompileInMemory.h"
#include "tools/sstep-run/LoadProgram.h"
#include "tools/sstep-run/Modules.h"

namespace sstep {
namespace {

/// The compiler module's entry point, or null when there is none. The
/// module allocates from this binary's buffer pool (BufferPool.h).
CompileInMemoryFn compilerModule() {
  if (void *adopt = moduleSymbol(SSTEP_COMPILER_MODULE, "sstepAdoptBufferPool"))
    reinterpret_cast<void (*)(BufferPool *)>(adopt)(&BufferPool::process());
  return reinterpret_cast<CompileInMemoryFn>(
      moduleSymbol(SSTEP_COMPILER_MODULE, "sstepCompileInMemory"));
}

} // namespace

Program loadProgram(const std::string &path, PlanInfo *info,
                    const std::string &backend) {
  // By content, not by name: a plan renamed .onnx is still a plan.
  if (isPlanFile(path))
    return readPlan(path, info);
  CompileInMemoryFn compile = compilerModule();
  if (!compile)
    throw BadModel(path + ": not a plan, and this sstep-run was built without "
                          "the compiler: compile the model with sstep-compile "
                          "(--target=cuda for the cuda backend) and run the "
                          "plan");
  Program program;
  std::string error;
  InMemoryCompileOptions options;
  options.backend = backend;
  if (!compile(path, options, &program, &error))
    throw BadModel(error);
  return program;
}

} // namespace sstep
