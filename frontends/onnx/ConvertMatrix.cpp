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
  ctx.checkAttrs({"equation"}); // Einsum's, checked there
  Value a = ctx.input(0), b = ctx.input(1);
  Type element = commonFloatType(ctx, {a, b});
  RankedTensorType type = ruleType(
      ctx,
      shape::matmul(dimsOf(tensorType(ctx, a)), dimsOf(tensorType(ctx, b))),
      element);
  ctx.setOutput(0, ctx.builder().create<MatMulOp>(ctx.loc(), type, a, b));
}

/// Einsum of a matrix product, as `torch.tensordot` exports (HoVer-Net's
/// UpSample2x): "ij,jk->ik", with batch letters before either operand that
/// broadcast as MatMul's do ("bij,jk->bik", "bij,bjk->bik"). Other equations
/// are refused by name.
bool isMatrixProduct(const std::string &a, const std::string &b,
                     const std::string &out) {
  if (a.size() < 2 || b.size() < 2 ||
      out.size() != std::max(a.size(), b.size()))
    return false;
  char i = a[a.size() - 2], j = a.back(), k = b.back();
  if (b[b.size() - 2] != j || out[out.size() - 2] != i || out.back() != k ||
      i == j || j == k || i == k)
    return false;
  std::string batch = out.substr(0, out.size() - 2);
  std::string batchA = a.substr(0, a.size() - 2),
              batchB = b.substr(0, b.size() - 2);
  auto endsWith = [&](const std::string &s) {
    return batch.compare(batch.size() - s.size(), s.size(), s) == 0;
  };
  return endsWith(batchA) && endsWith(batchB) &&
         batch.find_first_of(std::string{i, j, k}) == std::string::npos;
}

void convertEinsum(NodeContext &ctx) {
  ctx.checkAttrs({"equation"});
  std::string eq;
  for (char c : ctx.stringAttr("equation", ""))
    if (c != ' ')
      eq += c;
  auto comma = eq.find(','), arrow = eq.find("->");
  if (ctx.numInputs() != 2 || comma == std::string::npos ||
      arrow == std::string::npos || arrow < comma)
    ctx.fail("only two-operand Einsum equations with an output are supported");
  if (!isMatrixProduct(eq.substr(0, comma),
                       eq.substr(comma + 1, arrow - comma - 1),
                       eq.substr(arrow + 2)))
    ctx.fail("Einsum '" + eq + "' is not a matrix product ('ij,jk->ik')");
  convertMatMul(ctx);
}

} // namespace

void addMatrixConverters(ConverterTable &table) {
  table["Einsum"] = convertEinsum;
  table["Gemm"] = convertGemm;
  table["MatMul"] = convertMatMul;
}

} // namespace sstep::onnx_import
