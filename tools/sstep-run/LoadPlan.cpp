//===- LoadPlan.cpp - sstep-run's front door: plans, or the compiler ------===//
//
// A plan is read as is, without MLIR. Anything else goes to the compiler
// module (CompileInMemory.cpp) beside the binary, opened only then; a build
// without the compiler (a GPU machine that lacks Debian's MLIR packages, see
// scripts/gpu-check.sh) has none and says so.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/PlanFile.h"
#include "tools/sstep-run/LoadProgram.h"

#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

namespace sstep {
namespace {

using CompileFn = bool (*)(const std::string &, const std::string &, Program *,
                           std::string *);

/// The compiler module's entry point, or null when there is none: it sits
/// in lib/ beside bin/, in the build tree and when installed.
CompileFn compilerModule() {
  char exe[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return nullptr;
  std::string dir(exe, size_t(n));
  dir = dir.substr(0, dir.rfind('/'));
  std::string path =
      dir.substr(0, dir.rfind('/')) + "/lib/" + SSTEP_COMPILER_MODULE;
  void *module = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!module)
    return nullptr;
  return reinterpret_cast<CompileFn>(::dlsym(module, "sstepCompileInMemory"));
}

} // namespace

Program loadProgram(const std::string &path, PlanInfo *info,
                    const std::string &backend) {
  // By content, not by name: a plan renamed .onnx is still a plan.
  if (isPlanFile(path))
    return readPlan(path, info);
  CompileFn compile = compilerModule();
  if (!compile)
    throw BadModel(path + ": not a plan, and this sstep-run was built without "
                          "the compiler: compile the model with sstep-compile "
                          "(--target=cuda for the cuda backend) and run the "
                          "plan");
  Program program;
  std::string error;
  if (!compile(path, backend, &program, &error))
    throw BadModel(error);
  return program;
}

} // namespace sstep
