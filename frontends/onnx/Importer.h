//===- Importer.h - ONNX graphs to the sstep dialect ------------*- C++ -*-===//
//
// Turns an ONNX model into a module holding one `func.func @main` in the
// sstep dialect, with whole-image semantics: the height and width of every
// 4-D float input become dynamic, so one imported model runs on any image.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_FRONTENDS_ONNX_IMPORTER_H
#define SSTEP_FRONTENDS_ONNX_IMPORTER_H

#include "frontends/onnx/ModelLoader.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace sstep::onnx_import {

struct ImportOptions {
  /// Keep the spatial sizes the model declares instead of making them dynamic.
  bool staticShapes = false;
  /// Name of the model file, for locations and messages.
  std::string sourceName = "model.onnx";
};

/// Imports `model`; throws ImportError naming the node, op type, domain and
/// opset for anything unsupported or malformed.
/// Ops the graph importer handles itself rather than through a converter:
/// If (its branch taken, imported in place).
inline const char *const kGraphLevelOps[] = {"If"};

mlir::OwningOpRef<mlir::ModuleOp> importModel(mlir::MLIRContext &context,
                                              const onnx::ModelProto &model,
                                              const ImportOptions &options);

/// Registers the dialects imported IR uses.
void loadImportDialects(mlir::MLIRContext &context);

} // namespace sstep::onnx_import

#endif // SSTEP_FRONTENDS_ONNX_IMPORTER_H
