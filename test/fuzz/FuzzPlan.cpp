//===- FuzzPlan.cpp - Plan files: any bytes, a clean error or a program ---===//

#include "runtime/core/PlanFile.h"
#include "runtime/core/RuntimeError.h"
#include "test/fuzz/FuzzInput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = sstep::fuzz::asFile(data, size, ".sstep");
  try {
    sstep::isPlanFile(path);
    sstep::PlanInfo info;
    sstep::Program program = sstep::readPlan(path, &info);
    // Reading back what was read must not fail either.
    (void)program.nodes.size();
  } catch (const sstep::RuntimeError &) {
  }
  return 0;
}
