//===- LoadProgram.h - A model file to a runnable Program --------*- C++
//-*-===//
//
// sstep-run's front door: an ONNX model is imported and compiled in memory.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TOOLS_SSTEP_RUN_LOADPROGRAM_H
#define SSTEP_TOOLS_SSTEP_RUN_LOADPROGRAM_H

#include "runtime/core/Program.h"

#include <stdexcept>
#include <string>

namespace sstep {

/// A model that cannot be read, imported or compiled; the message names the
/// file and the node.
struct BadModel : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Program loadProgram(const std::string &path);

} // namespace sstep

#endif // SSTEP_TOOLS_SSTEP_RUN_LOADPROGRAM_H
