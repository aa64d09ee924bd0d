//===- Pipeline.h - SSTEP's compilation, from ONNX to a Program -*- C++ -*-===//
//
// The canonical pipeline, defined once for every tool:
//
//   model.onnx --import--> sstep dialect --canonicalize--> --partition-->
//   --export--> Program (runtime/core/Program.h)
//
// sstep-compile writes the Program as a plan file; sstep-run runs it straight
// from memory. Both get it from compileModel, so a plan and an in-memory run of
// the same model execute the same Program.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_COMPILER_PIPELINE_PIPELINE_H
#define SSTEP_COMPILER_PIPELINE_PIPELINE_H

#include "runtime/core/Program.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/PassManager.h"

#include <memory>
#include <stdexcept>
#include <string>

namespace sstep {

struct PipelineOptions {
  /// Print the IR after every pass to stderr (--print-ir-after-all).
  bool printIRAfterAll = false;
  /// sstep-recompute's policy: auto, always or never.
  std::string recompute = "auto";
  /// The tool named in notes on stderr.
  std::string toolName = "sstep";
};

/// Bad input: a model that cannot be read, imported or compiled. The message
/// names the file and the node; tools exit with status 2.
struct CompileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Adds the compiler's passes to `pm`, in order.
void buildPipeline(mlir::PassManager &pm, const PipelineOptions &options);

/// A compiled model: the partitioned module and the Program exported from it.
/// The module lives in `context`, declared first so that it outlives it.
struct CompiledModel {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  Program program;
};

/// Imports the ONNX model at `path` (binary or text), runs buildPipeline and
/// exports @main. A model whose semantics fix its input size is compiled at
/// that size, with a note on stderr. Throws CompileError for bad input and
/// std::runtime_error for an internal error.
CompiledModel compileModel(const std::string &path,
                           const PipelineOptions &options);

} // namespace sstep

#endif // SSTEP_COMPILER_PIPELINE_PIPELINE_H
