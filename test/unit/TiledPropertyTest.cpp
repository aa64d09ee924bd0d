//===- TiledPropertyTest.cpp - tiled == whole on random networks ----------===//
//
// The invariant of SSTEP, checked on random networks (RandomNet.h) at random
// image sizes and random tile edges, including edges that do not divide the
// image, one-pixel tiles, and one tile: the partitioned program run tile by
// tile on the reference backend equals the whole-image run within 1e-5 of the
// output's largest magnitude. Also: the planner's chosen tile fits its budget.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "compiler/Export/ExportProgram.h"
#include "compiler/Passes.h"
#include "dialects/sstep/IR/SStepDialect.h"
#include "runtime/plan/MemoryPlan.h"
#include "runtime/reference/Interpreter.h"
#include "runtime/reference/ReferenceBackend.h"
#include "test/unit/RandomNet.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cmath>
#include <random>

using namespace sstep;

namespace {

/// Parses, verifies, partitions and exports `text`; fails the test case
/// with the diagnostics otherwise.
Program compile(const std::string &text) {
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
  pm.addPass(createPartition());
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
    diff = std::max(diff, double(std::fabs(a.data[i] - b.data[i])));
    scale = std::max(scale, double(std::fabs(a.data[i])));
  }
  return diff / scale;
}

} // namespace

TEST_CASE("tiled equals whole on random networks", "[tiling]") {
  std::mt19937 rng(20261123);
  for (uint32_t seed = 1; seed <= 150; ++seed) {
    std::array<int64_t, 2> image{
        std::uniform_int_distribution<int64_t>(5, 40)(rng),
        std::uniform_int_distribution<int64_t>(5, 40)(rng)};
    int64_t channels = std::uniform_int_distribution<int64_t>(1, 3)(rng);
    test::RandomNet net(seed, image, channels);
    std::string text =
        net.build(std::uniform_int_distribution<int>(3, 10)(rng));
    INFO("seed " << seed << ", image " << image[0] << "x" << image[1] << "\n"
                 << text);
    Program program = compile(text);
    Tensor x = randomImage(rng, channels, image[0], image[1]);
    std::vector<Tensor> whole = reference::run(program, {x});

    int64_t longest = std::max(image[0], image[1]);
    for (int64_t edge :
         {int64_t(1), std::uniform_int_distribution<int64_t>(2, 9)(rng),
          std::uniform_int_distribution<int64_t>(2, longest)(rng),
          int64_t(0)}) {
      INFO("tile edge " << edge);
      exec::Stats stats;
      std::vector<Tensor> tiled =
          reference::runTiled(program, {x}, edge, &stats);
      REQUIRE(tiled.size() == whole.size());
      for (size_t i = 0; i < whole.size(); ++i) {
        REQUIRE(tiled[i].shape == whole[i].shape);
        CHECK(relativeError(whole[i], tiled[i]) <= 1e-5);
      }
    }
  }
}

TEST_CASE("the planner's tile fits its budget", "[tiling]") {
  std::mt19937 rng(7);
  for (uint32_t seed = 200; seed < 220; ++seed) {
    test::RandomNet net(seed, {48, 40}, 2);
    std::string text = net.build(6);
    INFO("seed " << seed << "\n" << text);
    Program program = compile(text);
    plan::Stages stages = plan::planStages(program);
    plan::MemoryPrediction whole =
        plan::predictMemory(program, stages, {48, 40}, 0);
    plan::MemoryPrediction least =
        plan::predictMemory(program, stages, {48, 40}, 1);
    // A budget between the smallest tile's needs and the whole image's.
    int64_t budget =
        least.workingSet() + (whole.workingSet() - least.workingSet()) / 3;
    int64_t edge = plan::chooseTileEdge(program, stages, {48, 40}, budget);
    plan::MemoryPrediction chosen =
        plan::predictMemory(program, stages, {48, 40}, edge);
    CHECK(chosen.workingSet() <= budget);

    exec::Stats stats;
    Tensor x = randomImage(rng, 2, 48, 40);
    reference::runTiled(program, {x}, edge, &stats);
    // Measured over every tile, not only the planner's samples.
    CHECK(stats.peakTileBytes + chosen.weightBytes <= budget);

    CHECK_THROWS_WITH(
        plan::chooseTileEdge(program, stages, {48, 40}, least.workingSet() - 1),
        Catch::Contains("cannot be met: the smallest tile needs"));
  }
}
