//===- LocalityTest.cpp - Which ops claim a window rule -------------------===//
//
// The partitioner's question, asked of every new op: sstep::getWindowRule
// answers only for ops that are spatially local as configured, and
// sstep::isNonLocal for those that read all of H or W.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "dialects/sstep/IR/SStepDialect.h"
#include "dialects/sstep/IR/SStepOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <map>

using namespace mlir;

namespace {

// Each op's result is named after the case it illustrates (its loc name).
constexpr const char *kOps = R"mlir(
func.func @f(%x: tensor<1x8x?x?xf32>, %c: tensor<8x1x1xf32>,
             %v: tensor<1x8xf32>, %w: tensor<4x8xf32>, %s: tensor<8xf32>) {
  %0 = sstep.global_avg_pool2d %x : tensor<1x8x?x?xf32> -> tensor<1x8x1x1xf32> loc("gap")
  %1 = sstep.global_max_pool2d %x : tensor<1x8x?x?xf32> -> tensor<1x8x1x1xf32> loc("gmp")
  %2 = sstep.concat %x, %x {axis = 1 : i64} : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x16x?x?xf32> loc("concat_c")
  %3 = sstep.concat %x, %x {axis = 2 : i64} : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32> loc("concat_h")
  %4 = sstep.softmax %x {axes = array<i64: 1>} : tensor<1x8x?x?xf32> loc("softmax_c")
  %5 = sstep.log_softmax %x {axes = array<i64: 1, 2, 3>} : tensor<1x8x?x?xf32> loc("log_softmax_chw")
  %6 = sstep.softmax %v {axes = array<i64: 1>} : tensor<1x8xf32> loc("softmax_vector")
  %7 = sstep.layer_norm %x, %c {axes = array<i64: 1>} : (tensor<1x8x?x?xf32>, tensor<8x1x1xf32>) -> tensor<1x8x?x?xf32> loc("layer_norm_c")
  %8 = sstep.layer_norm %x, %c {axes = array<i64: 3>} : (tensor<1x8x?x?xf32>, tensor<8x1x1xf32>) -> tensor<1x8x?x?xf32> loc("layer_norm_w")
  %9 = sstep.instance_norm %x, %s, %s : (tensor<1x8x?x?xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x?x?xf32> loc("instance_norm")
  %10 = sstep.prelu %x, %c : (tensor<1x8x?x?xf32>, tensor<8x1x1xf32>) -> tensor<1x8x?x?xf32> loc("prelu")
  %11 = sstep.pow %x {exponent = 2.0 : f32} : tensor<1x8x?x?xf32> loc("pow")
  %12 = sstep.flatten %x {axis = 1 : i64} : tensor<1x8x?x?xf32> -> tensor<1x?xf32> loc("flatten")
  %13 = sstep.reshape %x {shape = array<i64: 0, 0, -1>} : tensor<1x8x?x?xf32> -> tensor<1x8x?xf32> loc("reshape")
  %14 = sstep.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x8x?x?xf32> -> tensor<1x?x?x8xf32> loc("transpose")
  %15 = sstep.gemm %v, %w {transB = true} : (tensor<1x8xf32>, tensor<4x8xf32>) -> tensor<1x4xf32> loc("gemm")
  %16 = sstep.matmul %v, %s : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1xf32> loc("matmul")
  return
}
)mlir";

enum class Kind { Local, NonLocal };

} // namespace

TEST_CASE("new ops answer whether they are spatially local", "[dialect]") {
  MLIRContext context;
  context.loadDialect<sstep::SStepDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kOps, &context);
  REQUIRE(module);

  const std::map<std::string, Kind> expected = {
      {"gap", Kind::NonLocal},          {"gmp", Kind::NonLocal},
      {"concat_c", Kind::Local},        {"concat_h", Kind::NonLocal},
      {"softmax_c", Kind::Local},       {"log_softmax_chw", Kind::NonLocal},
      {"softmax_vector", Kind::Local},  {"layer_norm_c", Kind::Local},
      {"layer_norm_w", Kind::NonLocal}, {"instance_norm", Kind::NonLocal},
      {"prelu", Kind::Local},           {"pow", Kind::Local},
      {"flatten", Kind::NonLocal},      {"reshape", Kind::NonLocal},
      {"transpose", Kind::NonLocal},    {"gemm", Kind::NonLocal},
      {"matmul", Kind::NonLocal}};
  size_t seen = 0;
  module->walk([&](Operation *op) {
    auto loc = dyn_cast<NameLoc>(op->getLoc());
    if (!loc)
      return;
    std::string name = loc.getName().str();
    INFO(name);
    REQUIRE(expected.count(name));
    bool local = expected.at(name) == Kind::Local;
    CHECK(bool(sstep::getWindowRule(op)) == local);
    CHECK(sstep::isNonLocal(op) == !local);
    ++seen;
  });
  CHECK(seen == expected.size());
}

TEST_CASE("local new ops read the output pixel of image operands only",
          "[dialect]") {
  MLIRContext context;
  context.loadDialect<sstep::SStepDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kOps, &context);
  REQUIRE(module);
  module->walk([&](Operation *op) {
    sstep::SpatialOpInterface rule = sstep::getWindowRule(op);
    if (!rule)
      return;
    INFO(op->getName().getStringRef().str());
    // Per-channel slopes and scales (8x1x1) are parameters, not images.
    for (mlir::OpOperand &operand : op->getOpOperands())
      CHECK(rule.isSpatialOperand(operand.getOperandNumber()) ==
            sstep::isImageType(operand.get().getType()));
    for (mlir::OpOperand *operand : rule.getSpatialOperands()) {
      unsigned i = operand->getOperandNumber();
      CHECK(rule.getInputInterval(i, 0, {3, 9}) == sstep::Interval{3, 9});
      CHECK(rule.getBorderRule(i) == sstep::BorderRule::None);
    }
  });
}
