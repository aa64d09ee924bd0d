//===- ConvertPointwise.cpp - Activations and broadcasting arithmetic -----===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

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

/// Neg of a float tensor, or of a shape (a crop's end, `-(d - d // 2)`).
void convertNeg(NodeContext &ctx) {
  if (!convertShapeArithmetic(ctx))
    convertUnary<NegOp>(ctx);
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
  if (convertShapeArithmetic(ctx))
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

/// PRelu (opset 7+): the slope broadcasts unidirectionally to the input.
void convertPRelu(NodeContext &ctx) {
  ctx.checkAttrs({});
  Value x = ctx.input(0), slope = ctx.input(1);
  RankedTensorType xType = tensorType(ctx, x);
  RankedTensorType sType = tensorType(ctx, slope);
  if (sType.getElementType() != xType.getElementType())
    ctx.fail("input and slope have different element types");
  shape::Result fits = shape::broadcastTo(dimsOf(sType), dimsOf(xType));
  if (!fits.ok())
    ctx.fail("the slope must broadcast to the input: " + fits.error);
  ctx.setOutput(0, ctx.builder().create<PReluOp>(ctx.loc(), xType, x, slope));
}

/// The exponent of Pow: a constant holding one value (float, or integer
/// from opset 12) whose shape leaves the base's unchanged.
float powExponent(NodeContext &ctx, RankedTensorType base) {
  DenseElementsAttr e = ctx.requireConstant(1, "the exponent");
  if (e.getNumElements() != 1 || e.getType().getRank() > base.getRank())
    ctx.fail("the exponent must hold a single value and not broadcast the "
             "base, got " +
             shape::format(dimsOf(e.getType())));
  if (isa<FloatType>(e.getElementType()))
    return float((*e.getValues<APFloat>().begin()).convertToDouble());
  if (isa<IntegerType>(e.getElementType()))
    return float((*e.getValues<APInt>().begin()).getSExtValue());
  ctx.fail("the exponent must be a float or integer constant");
}

void convertPow(NodeContext &ctx) {
  ctx.checkAttrs({});
  Value x = ctx.input(0);
  RankedTensorType xType = tensorType(ctx, x);
  if (!isa<FloatType>(xType.getElementType()))
    ctx.fail("the base must be a float tensor");
  float exponent = powExponent(ctx, xType);
  OpBuilder &b = ctx.builder();
  ctx.setOutput(
      0, b.create<PowOp>(ctx.loc(), xType, x, b.getF32FloatAttr(exponent)));
}

} // namespace

void addPointwiseConverters(ConverterTable &table) {
  table["Relu"] = convertUnary<ReluOp>;
  table["Sigmoid"] = convertUnary<SigmoidOp>;
  table["Tanh"] = convertUnary<TanhOp>;
  table["Erf"] = convertUnary<ErfOp>;
  table["Exp"] = convertUnary<ExpOp>;
  table["Sqrt"] = convertUnary<SqrtOp>;
  table["Log"] = convertUnary<LogOp>;
  table["Abs"] = convertUnary<AbsOp>;
  table["Neg"] = convertNeg;
  table["HardSwish"] = convertUnary<HardSwishOp>;
  table["LeakyRelu"] = convertLeakyRelu;
  table["HardSigmoid"] = convertHardSigmoid;
  table["Clip"] = convertClip;
  table["Add"] = convertBinary<AddOp>;
  table["Sub"] = convertBinary<SubOp>;
  table["Mul"] = convertBinary<MulOp>;
  table["Div"] = convertBinary<DivOp>;
  table["PRelu"] = convertPRelu;
  table["Pow"] = convertPow;
}

} // namespace sstep::onnx_import
