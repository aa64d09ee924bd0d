//===- TestPrograms.cpp - Programs and tensors for runtime tests ----------===//

#include "test/unit/TestPrograms.h"
#include "compiler/Export/ExportProgram.h"
#include "compiler/Passes.h"
#include "dialects/sstep/IR/SStepDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

namespace sstep::test {

/// Parses, verifies, partitions and exports `text`; fails the test case
/// with the diagnostics otherwise.
Program compileProgram(const std::string &text, bool streamNorms,
                       const std::string &recompute) {
  mlir::MLIRContext context;
  context.loadDialect<SStepDialect, mlir::func::FuncDialect,
                      mlir::arith::ArithDialect>();
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    diagnostics += d.str() + "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  INFO(diagnostics);
  REQUIRE(module);
  REQUIRE(mlir::succeeded(mlir::verify(*module)));
  mlir::PassManager pm(&context);
  if (streamNorms)
    pm.addNestedPass<mlir::func::FuncOp>(createStreamInstanceNorm());
  pm.addPass(createPartition());
  if (recompute != "never") {
    RecomputeOptions options;
    options.policy = recompute;
    pm.addPass(createRecompute(options));
  }
  pm.addPass(createDifferentiate());
  REQUIRE(mlir::succeeded(pm.run(*module)));
  mlir::FailureOr<Program> program = exportProgram(*module);
  REQUIRE(mlir::succeeded(program));
  return std::move(*program);
}

Tensor randomImage(std::mt19937 &rng, int64_t c, int64_t h, int64_t w) {
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  Tensor t({1, c, h, w});
  for (float &v : t.data)
    v = value(rng);
  return t;
}

/// Largest |a - b| relative to the largest |a|.
double relativeError(const Tensor &a, const Tensor &b) {
  double diff = 0, scale = 1e-30;
  for (size_t i = 0; i < a.data.size(); ++i) {
    // std::max drops a NaN; a NaN on one side only is the worst error.
    if (std::isnan(a.data[i]) != std::isnan(b.data[i]))
      return std::numeric_limits<double>::infinity();
    diff = std::max(diff, double(std::fabs(a.data[i] - b.data[i])));
    scale = std::max(scale, double(std::fabs(a.data[i])));
  }
  return diff / scale;
}

} // namespace sstep::test
