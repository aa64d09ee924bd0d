//===- Conv2DInterfaceTest.cpp - conv2d answers the spatial interface -----===//

#include <catch2/catch.hpp>

#include "dialects/sstep/IR/SStepDialect.h"
#include "dialects/sstep/IR/SStepOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

using namespace mlir;

namespace {

constexpr const char *kConv = R"mlir(
func.func @f(%x: tensor<1x8x?x?xf32>, %w: tensor<16x4x3x5xf32>)
    -> tensor<1x16x?x?xf32> {
  %y = sstep.conv2d %x, %w {strides = array<i64: 2, 3>,
                            dilations = array<i64: 1, 2>,
                            pads = array<i64: 1, 4, 0, 2>, groups = 2}
      : (tensor<1x8x?x?xf32>, tensor<16x4x3x5xf32>) -> tensor<1x16x?x?xf32>
  return %y : tensor<1x16x?x?xf32>
}
)mlir";

} // namespace

TEST_CASE("conv2d's interface answers its window rule", "[dialect]") {
  MLIRContext context;
  context.loadDialect<sstep::SStepDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kConv, &context);
  REQUIRE(module);

  sstep::Conv2DOp conv;
  module->walk([&](sstep::Conv2DOp op) { conv = op; });
  REQUIRE(conv);
  auto spatial = cast<sstep::SpatialOpInterface>(conv.getOperation());

  CHECK(spatial.isSpatialOperand(0));
  CHECK_FALSE(spatial.isSpatialOperand(1));
  CHECK(spatial.getSpatialOperands().size() == 1);
  CHECK(spatial.getBorderRule(0) == sstep::BorderRule::Zero);

  // H: k=3 s=2 d=1 pad_top=1. [4, 7] -> [2*4-1, 2*7-1+2] = [7, 15].
  CHECK(spatial.getInputInterval(0, 0, {4, 7}) == sstep::Interval{7, 15});
  // W: k=5 s=3 d=2 pad_left=4. [0, 2] -> [-4, 3*2-4+8] = [-4, 10].
  CHECK(spatial.getInputInterval(0, 1, {0, 2}) == sstep::Interval{-4, 10});

  sstep::WindowAxis w = conv.getWindowAxis(1);
  CHECK(w.kernel == 5);
  CHECK(w.stride == 3);
  CHECK(w.dilation == 2);
  CHECK(w.padBegin == 4);
  CHECK(w.padEnd == 2);
}
