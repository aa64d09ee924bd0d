//===- ShapeArithmetic.cpp - The hook for arithmetic on shapes ------------===//
//
// Exporters compute sizes with integer tensors: Shape, Gather, Concat,
// Mul/Div on shapes, feeding Reshape or Resize. SSTEP folds such subgraphs
// into symbolic expressions of the sizes they measure (ShapeExpr.h), never
// runtime tensors. This file decides which nodes are shape arithmetic; the
// folding itself is in ConvertShape.cpp. What cannot stay exact is an error.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include <map>

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

namespace sstep::onnx_import {
namespace {

bool isIntegerInput(NodeContext &ctx, size_t i) {
  if (!ctx.hasInput(i))
    return false;
  if (ctx.shapeInput(i))
    return true;
  if (std::optional<DenseElementsAttr> constant = ctx.constantInput(i))
    return isa<IntegerType>(constant->getElementType());
  return isa<IntegerType>(getElementTypeOrSelf(ctx.inputValue(i).getType()));
}

/// Why the node computes on shapes, or "" when it does not: an integer data
/// input, or a Reshape whose target shape is computed.
std::string shapeArithmeticReason(NodeContext &ctx) {
  bool reshape = ctx.node().op_type() == "Reshape";
  if (reshape && ctx.hasInput(1) && !ctx.constantInput(1))
    return "the target shape (input 1) is computed, not a constant";
  size_t dataInputs = reshape ? 1 : ctx.numInputs();
  for (size_t i = 0; i < dataInputs; ++i)
    if (isIntegerInput(ctx, i))
      return "input " + std::to_string(i) + " is an integer (shape) tensor";
  return "";
}

} // namespace

bool convertShapeArithmetic(NodeContext &ctx) {
  std::string reason = shapeArithmeticReason(ctx);
  if (reason.empty())
    return false;
  const std::string &op = ctx.node().op_type();
  static const std::map<std::string, char> arithmetic = {
      {"Mul", '*'}, {"Div", '/'}, {"Add", '+'}, {"Sub", '-'}};
  if (auto it = arithmetic.find(op); it != arithmetic.end()) {
    foldShapeArithmetic(ctx, it->second);
    return true;
  }
  if (op == "Neg") {
    foldShapeNegation(ctx);
    return true;
  }
  if (op == "Concat") {
    foldShapeConcat(ctx);
    return true;
  }
  ctx.fail("shape arithmetic of this kind is not supported: " + reason);
}

std::vector<int64_t> requireShapeInput(NodeContext &ctx, size_t i,
                                       const char *what) {
  DenseElementsAttr constant = ctx.requireConstant(i, what);
  if (!isa<IntegerType>(constant.getElementType()) ||
      constant.getType().getRank() != 1)
    ctx.fail(std::string(what) + " must be a 1-D integer tensor");
  std::vector<int64_t> values;
  for (const APInt &v : constant.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

} // namespace sstep::onnx_import
