//===- ExportProgram.h - sstep IR to the runtime's Program -------*- C++
//-*-===//
//
// The hand-over from compiler to runtime: `func.func @main` of an sstep module
// becomes a Program (values, constants, nodes in order) that the runtime runs
// without MLIR. Every sstep op is exported generically: its name without the
// dialect prefix and its properties, defaults included.
//
// Example: `%1 = sstep.leaky_relu %0 : ...` becomes
// Node{op = "leaky_relu", attrs = {alpha: 0.01}}.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_COMPILER_EXPORT_EXPORTPROGRAM_H
#define SSTEP_COMPILER_EXPORT_EXPORTPROGRAM_H

#include "runtime/core/Program.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"

namespace sstep {

/// The ONNX node name the importer recorded in `loc`, or "".
std::string nodeName(mlir::Location loc);

/// "node 'conv1' (sstep.conv2d)", as the runtime's Node::describe names the
/// exported node, for messages about `op`.
std::string describeNode(mlir::Operation *op);

/// Exports @main of `module`; emits an error at the offending op and fails for
/// an op or attribute the runtime cannot represent.
/// When `ids` is given, it receives each exported value's id in the Program.
mlir::FailureOr<Program>
exportProgram(mlir::ModuleOp module,
              llvm::DenseMap<mlir::Value, int> *ids = nullptr);

} // namespace sstep

#endif // SSTEP_COMPILER_EXPORT_EXPORTPROGRAM_H
