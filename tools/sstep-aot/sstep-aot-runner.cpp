//===- sstep-aot-runner.cpp - The body of every AOT inference binary ------===//
//
// `sstep-compile MODEL --emit=exe -o NAME` copies this program and appends
// the plan to the copy (runtime/core/EmbeddedPlan.h). At start it reads the
// plan back out of its own file and runs sstep-run's command with it, so
// `NAME SLIDE -o OUT.tif` takes sstep-run's options without MODEL. It links
// the runtime only: no compiler, no MLIR, no ONNX.
//
//===----------------------------------------------------------------------===//

#include "runtime/api/Model.h"
#include "runtime/core/EmbeddedPlan.h"
#include "runtime/core/ProcessMemory.h"
#include "tools/command/RunCommand.h"
#ifdef SSTEP_AOT_SLIDES
#include "tools/command/RunSlide.h"
#endif

#include <filesystem>
#include <iostream>
#include <optional>

namespace {

/// This executable's own file: the link, resolved so messages name it.
std::string selfPath() {
  std::error_code ec;
  std::filesystem::path self =
      std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("/proc/self/exe") : self.string();
}

} // namespace

int main(int argc, char **argv) {
  sstep::configureAllocatorForTiles();
  std::string name = std::filesystem::path(argv[0]).filename().string();
  std::optional<sstep::Model> model;
  try {
    std::string self = selfPath();
    if (!sstep::findEmbeddedPlan(self)) {
      std::cerr << name
                << ": error: this binary carries no plan. It is the runner "
                   "that `sstep-compile MODEL --emit=exe -o NAME` turns into "
                   "an inference binary (a stripped binary loses its plan)\n";
      return 2;
    }
    model.emplace(sstep::Model::load(self));
  } catch (const sstep::RuntimeError &e) {
    std::cerr << name << ": error: " << e.what() << "\n";
    return 2;
  }
  sstep::CommandSpec spec;
  spec.name = name;
  spec.embedded = &*model;
#ifdef SSTEP_AOT_SLIDES
  spec.runSlide = [](const sstep::SlideCall &call) {
    return sstep::runSlide(call);
  };
#endif
  return sstep::runCommand(argc, argv, spec);
}
