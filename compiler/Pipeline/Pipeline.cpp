//===- Pipeline.cpp - SSTEP's compilation, from ONNX to a Program ---------===//

#include "compiler/Pipeline/Pipeline.h"
#include "compiler/Export/ExportProgram.h"
#include "compiler/Passes.h"
#include "frontends/onnx/Importer.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/Passes.h"

#include <iostream>

namespace sstep {

void buildPipeline(mlir::PassManager &pm, const PipelineOptions &options) {
  // The importer leaves duplicate and dead constants behind; canonicalizing
  // first keeps them out of the partition and of the plan's weights.
  pm.addPass(mlir::createCanonicalizerPass());
  // Instance and group norms as tile reductions, so that no image is held
  // whole for them.
  pm.addNestedPass<mlir::func::FuncOp>(createStreamInstanceNorm());
  pm.addPass(createPartition());
  // Stored images that are cheap to compute again are, where they are read.
  RecomputeOptions recompute;
  recompute.policy = options.recompute;
  pm.addPass(createRecompute(recompute));
  // Chains cloned into one stage for two images share their common ops.
  pm.addPass(mlir::createCSEPass());
  // Every plan says whether and how it can be trained; a model that cannot
  // still compiles for inference (the reason is kept for the backward pass).
  pm.addPass(createDifferentiate());
  if (options.printIRAfterAll) {
    // Every pass is a module pass, so each dump is the whole module; weights
    // are elided, or a real model's dump would be its weights in decimal.
    mlir::OpPrintingFlags flags;
    flags.elideLargeElementsAttrs(16);
    pm.enableIRPrinting(
        /*shouldPrintBeforePass=*/[](mlir::Pass *,
                                     mlir::Operation *) { return false; },
        /*shouldPrintAfterPass=*/
        [](mlir::Pass *, mlir::Operation *) { return true; },
        /*printModuleScope=*/false, /*printAfterOnlyOnChange=*/false,
        /*printAfterOnlyOnFailure=*/false, llvm::errs(), flags);
  }
}

CompiledModel compileModel(const std::string &path,
                           const PipelineOptions &options) {
  CompiledModel compiled;
  compiled.context = std::make_unique<mlir::MLIRContext>();
  mlir::MLIRContext &context = *compiled.context;
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    diagnostics += (diagnostics.empty() ? "" : "\n") + d.str();
    return mlir::success();
  });
  try {
    onnx::ModelProto model = onnx_import::loadModel(path);
    onnx_import::ImportOptions importOptions;
    importOptions.sourceName = path;
    try {
      compiled.module = onnx_import::importModel(context, model, importOptions);
    } catch (const onnx_import::StaticShapeRequired &e) {
      std::cerr << options.toolName << ": note: " << e.what() << "\n"
                << options.toolName << ": note: " << path
                << " runs at its declared input size only\n";
      importOptions.staticShapes = true;
      compiled.module = onnx_import::importModel(context, model, importOptions);
    }
  } catch (const onnx_import::ImportError &e) {
    throw CompileError(e.what());
  }
  if (mlir::failed(mlir::verify(*compiled.module)))
    throw std::runtime_error("the imported IR of " + path +
                             " does not verify: " + diagnostics);
  mlir::PassManager pm(&context);
  buildPipeline(pm, options);
  if (mlir::failed(pm.run(*compiled.module)))
    throw std::runtime_error("compiling " + path + " failed: " + diagnostics);
  mlir::FailureOr<Program> program = exportProgram(*compiled.module);
  if (mlir::failed(program))
    throw CompileError(path + ": " + diagnostics);
  compiled.program = std::move(*program);
  return compiled;
}

} // namespace sstep
