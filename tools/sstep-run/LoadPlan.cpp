//===- LoadPlan.cpp - sstep-run's front door without the compiler ---------===//
//
// A build without MLIR (a GPU machine that lacks Debian's packages, see
// scripts/gpu-check.sh) still has sstep-run: it runs plans that sstep-compile
// wrote elsewhere, and says so for anything else.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/PlanFile.h"
#include "tools/sstep-run/LoadProgram.h"

namespace sstep {

Program loadProgram(const std::string &path, PlanInfo *info,
                    const std::string &) {
  if (isPlanFile(path))
    return readPlan(path, info);
  throw BadModel(path + ": not a plan, and this sstep-run was built without "
                        "the compiler: compile the model with sstep-compile "
                        "(--target=cuda for the cuda backend) and run the "
                        "plan");
}

} // namespace sstep
