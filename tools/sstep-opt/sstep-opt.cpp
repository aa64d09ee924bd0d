//===- sstep-opt.cpp - The SSTEP pass driver ------------------------------===//
//
// mlir-opt with the sstep dialect and passes, and the upstream dialects and
// passes SSTEP's pipelines use.
//
//===----------------------------------------------------------------------===//

#include "compiler/Passes.h"
#include "dialects/sstep/IR/SStepDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<sstep::SStepDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::tensor::TensorDialect>();

  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  mlir::registerInlinerPass();
  sstep::registerSStepPasses();

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "SSTEP optimizer driver\n", registry));
}
