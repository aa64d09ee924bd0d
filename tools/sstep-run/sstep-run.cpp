//===- sstep-run.cpp - Runs a model on an image, tensor or slide ----------===//
//
// sstep-run MODEL INPUT -o OUTPUT [options]: RunCommand.h is the command;
// this adds an ONNX MODEL compiled in memory and slides, each by a module
// opened on demand (Modules.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/core/ProcessMemory.h"
#include "tools/command/RunCommand.h"
#include "tools/sstep-run/LoadProgram.h"
#include "tools/sstep-run/Modules.h"

int main(int argc, char **argv) {
  sstep::configureAllocatorForTiles();
  sstep::CommandSpec spec;
  spec.name = "sstep-run";
  spec.loadModel = [](const std::string &path, const std::string &backend) {
    sstep::PlanInfo info;
    sstep::Program program = sstep::loadProgram(path, &info, backend);
    return sstep::Model(std::move(program), std::move(info));
  };
#ifdef SSTEP_HAVE_SLIDE_MODULE
  spec.runSlide = sstep::runSlideInModule;
#endif
  return sstep::runCommand(argc, argv, spec);
}
