//===- ConvertMatrix.cpp - Gemm and MatMul --------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

using namespace mlir;

namespace sstep::onnx_import {
namespace {

/// Fails unless every value is a float tensor of one element type.
Type commonFloatType(NodeContext &ctx, ArrayRef<Value> values) {
  Type element = getElementTypeOrSelf(values[0]);
  for (Value v : values)
    if (getElementTypeOrSelf(v) != element)
      ctx.fail("operands have different element types");
  if (!isa<FloatType>(element))
    ctx.fail("expects float operands");
  return element;
}

/// Gemm (opset 7+; C optional from 11, required before).
void convertGemm(NodeContext &ctx) {
  ctx.checkAttrs({"alpha", "beta", "transA", "transB"});
  Value a = ctx.input(0), b = ctx.input(1);
  if (!ctx.hasInput(2) && ctx.opset() < 11)
    ctx.fail("input C is required before opset 11");
  Value c = ctx.hasInput(2) ? ctx.input(2) : Value();
  SmallVector<Value> operands = {a, b};
  if (c)
    operands.push_back(c);
  Type element = commonFloatType(ctx, operands);
  bool transA = ctx.intAttr("transA", 0) != 0;
  bool transB = ctx.intAttr("transB", 0) != 0;
  shape::Result product = shape::gemm(
      dimsOf(tensorType(ctx, a)), dimsOf(tensorType(ctx, b)), transA, transB);
  RankedTensorType type = ruleType(ctx, product, element);
  if (c) {
    shape::Result fits =
        shape::broadcastTo(dimsOf(tensorType(ctx, c)), product.dims);
    if (!fits.ok())
      ctx.fail("C must broadcast to the result: " + fits.error);
  }
  OpBuilder &builder = ctx.builder();
  ctx.setOutput(0,
                builder.create<GemmOp>(
                    ctx.loc(), type, a, b, c,
                    builder.getF32FloatAttr(ctx.floatAttr("alpha", 1.0f)),
                    builder.getF32FloatAttr(ctx.floatAttr("beta", 1.0f)),
                    builder.getBoolAttr(transA), builder.getBoolAttr(transB)));
}

void convertMatMul(NodeContext &ctx) {
  ctx.checkAttrs({});
  Value a = ctx.input(0), b = ctx.input(1);
  Type element = commonFloatType(ctx, {a, b});
  RankedTensorType type = ruleType(
      ctx,
      shape::matmul(dimsOf(tensorType(ctx, a)), dimsOf(tensorType(ctx, b))),
      element);
  ctx.setOutput(0, ctx.builder().create<MatMulOp>(ctx.loc(), type, a, b));
}

} // namespace

void addMatrixConverters(ConverterTable &table) {
  table["Gemm"] = convertGemm;
  table["MatMul"] = convertMatMul;
}

} // namespace sstep::onnx_import
