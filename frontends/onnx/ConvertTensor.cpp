//===- ConvertTensor.cpp - Concat, Flatten, Reshape, Transpose ------------===//
//
// Result shapes come from ShapeRules.h, the rules the verifiers and the
// runtime use, so a dynamic H or W stays dynamic exactly where the rule
// cannot know it. Concat and Reshape on integer tensors are shape arithmetic
// and go to its hook.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

using namespace mlir;

namespace sstep::onnx_import {
namespace {

void convertConcat(NodeContext &ctx) {
  ctx.checkAttrs({"axis"});
  if (convertShapeArithmetic(ctx))
    return;
  if (!ctx.hasAttr("axis"))
    ctx.fail("the axis attribute is required");
  SmallVector<Value> inputs;
  std::vector<shape::Dims> dims;
  for (size_t i = 0; i < ctx.numInputs(); ++i) {
    inputs.push_back(ctx.input(i));
    dims.push_back(dimsOf(tensorType(ctx, inputs.back())));
  }
  if (inputs.empty())
    ctx.fail("expects at least one input");
  RankedTensorType first = tensorType(ctx, inputs[0]);
  int64_t axis = normalizeAxis(ctx, ctx.intAttr("axis", 0), first.getRank(),
                               ctx.opset() >= 11);
  for (Value input : inputs)
    if (getElementTypeOrSelf(input) != first.getElementType())
      ctx.fail("inputs have different element types");
  RankedTensorType type =
      ruleType(ctx, shape::concat(dims, axis), first.getElementType());
  OpBuilder &b = ctx.builder();
  ctx.setOutput(0, b.create<ConcatOp>(ctx.loc(), type, inputs,
                                      b.getI64IntegerAttr(axis)));
}

void convertFlatten(NodeContext &ctx) {
  ctx.checkAttrs({"axis"});
  Value x = ctx.input(0);
  RankedTensorType xType = tensorType(ctx, x);
  // Flatten's axis may equal the rank (every dim in the rows).
  int64_t rank = xType.getRank();
  int64_t axis = ctx.intAttr("axis", 1);
  if (axis != rank)
    axis = normalizeAxis(ctx, axis, rank, ctx.opset() >= 11);
  RankedTensorType type = ruleType(ctx, shape::flatten(dimsOf(xType), axis),
                                   xType.getElementType());
  OpBuilder &b = ctx.builder();
  ctx.setOutput(
      0, b.create<FlattenOp>(ctx.loc(), type, x, b.getI64IntegerAttr(axis)));
}

void convertReshape(NodeContext &ctx) {
  ctx.checkAttrs({"allowzero"});
  if (convertShapeArithmetic(ctx))
    return;
  std::vector<int64_t> target = requireShapeInput(ctx, 1, "the target shape");
  bool allowZero = ctx.opset() >= 14 && ctx.intAttr("allowzero", 0) != 0;
  Value x = ctx.input(0);
  RankedTensorType xType = tensorType(ctx, x);
  RankedTensorType type =
      ruleType(ctx, shape::reshape(dimsOf(xType), target, allowZero),
               xType.getElementType());
  OpBuilder &b = ctx.builder();
  ctx.setOutput(0, b.create<ReshapeOp>(ctx.loc(), type, x,
                                       b.getDenseI64ArrayAttr(target),
                                       b.getBoolAttr(allowZero)));
}

void convertTranspose(NodeContext &ctx) {
  ctx.checkAttrs({"perm"});
  Value x = ctx.input(0);
  RankedTensorType xType = tensorType(ctx, x);
  std::vector<int64_t> reversed;
  for (int64_t d = xType.getRank() - 1; d >= 0; --d)
    reversed.push_back(d);
  std::vector<int64_t> perm = ctx.intsAttr("perm", reversed);
  RankedTensorType type = ruleType(ctx, shape::transpose(dimsOf(xType), perm),
                                   xType.getElementType());
  OpBuilder &b = ctx.builder();
  ctx.setOutput(0, b.create<TransposeOp>(ctx.loc(), type, x,
                                         b.getDenseI64ArrayAttr(perm)));
}

} // namespace

void addTensorConverters(ConverterTable &table) {
  table["Concat"] = convertConcat;
  table["Flatten"] = convertFlatten;
  table["Reshape"] = convertReshape;
  table["Transpose"] = convertTranspose;
}

} // namespace sstep::onnx_import
