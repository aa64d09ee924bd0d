//===- CompileInMemory.h - The compiler module's entry point -----*- C++
//-*-===//
//
// sstep-run and the Python package open the compiler module
// (CompileInMemory.cpp) with dlopen only when given an ONNX model; this is
// the one declaration of its entry point that both loaders and the module
// share.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TOOLS_SSTEP_RUN_COMPILEINMEMORY_H
#define SSTEP_TOOLS_SSTEP_RUN_COMPILEINMEMORY_H

#include <string>

namespace sstep {

struct Program;

/// What sstep-compile's options of the same names say.
struct InMemoryCompileOptions {
  std::string backend = "cpu";
  /// fp32, fp16 or bf16 (the cuda backend's).
  std::string precision = "fp32";
  /// sstep-recompute's policy: auto, always or never.
  std::string recompute = "auto";
};

/// `sstepCompileInMemory`: compiles the model at `path` into `program`;
/// false with `error` naming the node and op otherwise. Throws nothing.
using CompileInMemoryFn = bool (*)(const std::string &path,
                                   const InMemoryCompileOptions &options,
                                   Program *program, std::string *error);

} // namespace sstep

#endif // SSTEP_TOOLS_SSTEP_RUN_COMPILEINMEMORY_H
