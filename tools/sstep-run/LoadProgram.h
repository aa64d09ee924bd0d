//===- LoadProgram.h - A model file to a runnable Program -------*- C++ -*-===//
//
// sstep-run's front door: a plan written by sstep-compile is read as is (no
// MLIR involved); an ONNX model is compiled in memory by the same pipeline
// (compiler/Pipeline), so both give the runtime the same Program.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TOOLS_SSTEP_RUN_LOADPROGRAM_H
#define SSTEP_TOOLS_SSTEP_RUN_LOADPROGRAM_H

#include "runtime/core/PlanFile.h"
#include "runtime/core/Program.h"
#include "tools/command/RunCommand.h"

#include <string>

namespace sstep {

/// The Program of the plan or ONNX model at `path`; a plan's own description
/// goes to `info` when given (an ONNX model leaves it untouched). An ONNX
/// model run on `backend` "cuda" gets its CUDA kernels generated (fp32). A
/// bad plan throws RuntimeError, a bad model BadModel.
Program loadProgram(const std::string &path, PlanInfo *info = nullptr,
                    const std::string &backend = "");

} // namespace sstep

#endif // SSTEP_TOOLS_SSTEP_RUN_LOADPROGRAM_H
