//===- ConvertPointwise.cpp - Activations and broadcasting arithmetic -----===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"

#include "mlir/Dialect/Traits.h"

#include <limits>

using namespace mlir;

namespace sstep::onnx_import {
namespace {

/// An activation without attributes.
template <typename Op> void convertUnary(NodeContext &ctx) {
  ctx.checkAttrs({});
  Value x = ctx.input(0);
  ctx.setOutput(0, ctx.builder().create<Op>(ctx.loc(), x.getType(), x));
}

void convertLeakyRelu(NodeContext &ctx) {
  ctx.checkAttrs({"alpha"});
  Value x = ctx.input(0);
  OpBuilder &b = ctx.builder();
  ctx.setOutput(0, b.create<LeakyReluOp>(
                       ctx.loc(), x.getType(), x,
                       b.getF32FloatAttr(ctx.floatAttr("alpha", 0.01f))));
}

void convertHardSigmoid(NodeContext &ctx) {
  ctx.checkAttrs({"alpha", "beta"});
  Value x = ctx.input(0);
  OpBuilder &b = ctx.builder();
  ctx.setOutput(0, b.create<HardSigmoidOp>(
                       ctx.loc(), x.getType(), x,
                       b.getF32FloatAttr(ctx.floatAttr("alpha", 0.2f)),
                       b.getF32FloatAttr(ctx.floatAttr("beta", 0.5f))));
}

/// A scalar bound of Clip given as an optional constant input (opset 11+).
float clipBound(NodeContext &ctx, size_t input, float dflt) {
  if (!ctx.hasInput(input))
    return dflt;
  DenseElementsAttr bound = ctx.requireConstant(input, "a Clip bound");
  if (bound.getNumElements() != 1 || !isa<FloatType>(bound.getElementType()))
    ctx.fail("a Clip bound must be a float scalar");
  return float((*bound.getValues<APFloat>().begin()).convertToDouble());
}

void convertClip(NodeContext &ctx) {
  const float lowest = std::numeric_limits<float>::lowest();
  const float highest = std::numeric_limits<float>::max();
  float lo, hi;
  if (ctx.opset() < 11) {
    ctx.checkAttrs({"min", "max"});
    lo = ctx.floatAttr("min", lowest);
    hi = ctx.floatAttr("max", highest);
  } else {
    ctx.checkAttrs({});
    lo = clipBound(ctx, 1, lowest);
    hi = clipBound(ctx, 2, highest);
  }
  if (lo > hi)
    ctx.fail("Clip min exceeds max");
  Value x = ctx.input(0);
  OpBuilder &b = ctx.builder();
  ctx.setOutput(0,
                b.create<ClipOp>(ctx.loc(), x.getType(), x,
                                 b.getF32FloatAttr(lo), b.getF32FloatAttr(hi)));
}

/// Add, Sub, Mul, Div with NumPy broadcasting (opset 7+; the older
/// `broadcast`/`axis` attributes are rejected by checkAttrs).
template <typename Op> void convertBinary(NodeContext &ctx) {
  ctx.checkAttrs({});
  constexpr bool isMul = std::is_same_v<Op, MulOp>;
  constexpr bool isDiv = std::is_same_v<Op, DivOp>;
  if constexpr (isMul || isDiv)
    if (convertShapeArithmetic(ctx, isDiv))
      return;
  Value lhs = ctx.input(0), rhs = ctx.input(1);
  RankedTensorType lType = tensorType(ctx, lhs), rType = tensorType(ctx, rhs);
  if (lType.getElementType() != rType.getElementType())
    ctx.fail("operands have different element types");
  Type result = OpTrait::util::getBroadcastedType(lType, rType);
  if (!result)
    ctx.fail("operand shapes do not broadcast");
  ctx.setOutput(0, ctx.builder().create<Op>(ctx.loc(), result, lhs, rhs));
}

} // namespace

void addPointwiseConverters(ConverterTable &table) {
  table["Relu"] = convertUnary<ReluOp>;
  table["Sigmoid"] = convertUnary<SigmoidOp>;
  table["Tanh"] = convertUnary<TanhOp>;
  table["Erf"] = convertUnary<ErfOp>;
  table["Exp"] = convertUnary<ExpOp>;
  table["Sqrt"] = convertUnary<SqrtOp>;
  table["HardSwish"] = convertUnary<HardSwishOp>;
  table["LeakyRelu"] = convertLeakyRelu;
  table["HardSigmoid"] = convertHardSigmoid;
  table["Clip"] = convertClip;
  table["Add"] = convertBinary<AddOp>;
  table["Sub"] = convertBinary<SubOp>;
  table["Mul"] = convertBinary<MulOp>;
  table["Div"] = convertBinary<DivOp>;
}

} // namespace sstep::onnx_import
