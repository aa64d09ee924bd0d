//===- LoadProgram.cpp - A model file to a runnable Program ---------------===//

#include "tools/sstep-run/LoadProgram.h"
#include "compiler/Export/ExportProgram.h"
#include "compiler/Passes.h"
#include "frontends/onnx/Importer.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include <iostream>

namespace sstep {

Program loadProgram(const std::string &path) {
  mlir::MLIRContext context;
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    diagnostics += (diagnostics.empty() ? "" : "\n") + d.str();
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module;
  try {
    onnx::ModelProto model = onnx_import::loadModel(path);
    onnx_import::ImportOptions options;
    options.sourceName = path;
    try {
      module = onnx_import::importModel(context, model, options);
    } catch (const onnx_import::StaticShapeRequired &e) {
      std::cerr << "sstep-run: note: " << e.what()
                << "\nsstep-run: note: running " << path
                << " at its declared input size only\n";
      options.staticShapes = true;
      module = onnx_import::importModel(context, model, options);
    }
  } catch (const onnx_import::ImportError &e) {
    throw BadModel(e.what());
  }
  if (mlir::failed(mlir::verify(*module)))
    throw std::runtime_error("the imported IR of " + path +
                             " does not verify: " + diagnostics);
  mlir::PassManager pm(&context);
  pm.addPass(createPartition());
  if (mlir::failed(pm.run(*module)))
    throw std::runtime_error("partitioning " + path +
                             " failed: " + diagnostics);
  mlir::FailureOr<Program> program = exportProgram(*module);
  if (mlir::failed(program))
    throw BadModel(path + ": " + diagnostics);
  return std::move(*program);
}

} // namespace sstep
