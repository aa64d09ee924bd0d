//===- ConvertTensor.cpp - Concat, Flatten, Reshape, Split, Transpose -----===//
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
#include "dialects/sstep/Transforms/SizeOrigin.h"
#include "frontends/onnx/ShapeExpr.h"

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

/// A target computed from sizes of `x` itself (or of values whose sizes it
/// copies) as reshape entries: constants, 0 or kInputDim(d). Nothing for
/// any other size or a scaled one.
std::optional<std::vector<int64_t>> targetFromSizes(const ShapeExpr &target,
                                                    Value x, bool allowZero) {
  const int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  std::vector<int64_t> entries;
  for (size_t i = 0; i < target.elems.size(); ++i) {
    const SymInt &e = target.elems[i];
    if (e.isConstant()) {
      entries.push_back(e.constant);
      continue;
    }
    if (e.num != 1 || e.den != 1)
      return std::nullopt;
    std::pair<Value, int64_t> origin = originOf(e.source, e.axis);
    int64_t found = -1;
    for (int64_t k = 0; k < rank && found < 0; ++k)
      if (originOf(x, k) == origin)
        found = k;
    if (found < 0)
      return std::nullopt;
    entries.push_back(
        found == int64_t(i) && !allowZero ? 0 : shape::kInputDim(found));
  }
  return entries;
}

/// Whether `target` names the sizes of the value `x` was reshaped from, in
/// order: the Reshape undoes that one (GroupNorm's Reshape back to
/// Shape(x)), and its result is that value.
Value undoneReshape(const ShapeExpr &target, Value x) {
  auto reshape = x.getDefiningOp<ReshapeOp>();
  if (!reshape)
    return Value();
  Value source = reshape.getInput();
  auto type = cast<RankedTensorType>(source.getType());
  if (int64_t(target.elems.size()) != type.getRank())
    return Value();
  for (size_t i = 0; i < target.elems.size(); ++i) {
    const SymInt &e = target.elems[i];
    bool same = e.isConstant() ? e.constant == type.getDimSize(int64_t(i))
                               : e.num == 1 && e.den == 1 &&
                                     originOf(e.source, e.axis) ==
                                         originOf(source, int64_t(i));
    if (!same)
      return Value();
  }
  return source;
}

void convertReshape(NodeContext &ctx) {
  ctx.checkAttrs({"allowzero"});
  bool allowZero = ctx.opset() >= 14 && ctx.intAttr("allowzero", 0) != 0;
  std::optional<ShapeExpr> computed = ctx.shapeInput(1);
  std::vector<int64_t> target;
  if (computed && !computed->isConstant() && !ctx.shapeInput(0) &&
      isa<FloatType>(getElementTypeOrSelf(ctx.inputValue(0).getType()))) {
    std::optional<std::vector<int64_t>> entries =
        targetFromSizes(*computed, ctx.input(0), allowZero);
    if (!entries)
      if (Value undone = undoneReshape(*computed, ctx.input(0))) {
        ctx.setOutput(0, undone);
        return;
      }
    if (!entries)
      ctx.defer("the target shape is computed from sizes other than the "
                "input's own (unscaled); only those are supported");
    target = *entries;
  } else {
    if (convertShapeArithmetic(ctx))
      return;
    target = requireShapeInput(ctx, 1, "the target shape");
  }
  // Entries below -1 are SSTEP's own (copies of input dimensions), which
  // only a computed target yields; in a model they are invalid.
  for (size_t i = 0; i < target.size(); ++i)
    if (target[i] < -1 && !(computed && !computed->isConstant() &&
                            !computed->elems[i].isConstant()))
      ctx.fail("shape entry " + std::to_string(target[i]) + " is invalid");
  setReshapeOutput(ctx, ctx.input(0), target, allowZero);
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

/// Split of a float tensor along one axis (timm's `q, k, v =
/// qkv.unbind(0)`): one sstep.slice per output.
void convertSplit(NodeContext &ctx) {
  ctx.checkAttrs({"axis", "split"});
  Value x = ctx.input(0);
  RankedTensorType xType = tensorType(ctx, x);
  int64_t axis =
      normalizeAxis(ctx, ctx.intAttr("axis", 0), xType.getRank(), true);
  int64_t size = xType.getDimSize(axis);
  int64_t outputs = int64_t(ctx.numOutputs());
  std::vector<int64_t> sizes;
  if (ctx.opset() < 13)
    sizes = ctx.intsAttr("split", {});
  else if (ctx.hasInput(1))
    sizes = requireShapeInput(ctx, 1, "split");
  if (sizes.empty()) {
    if (ShapedType::isDynamic(size) || size % outputs != 0)
      ctx.fail("an even split needs the axis's size known and divisible by "
               "the " +
               std::to_string(outputs) + " outputs");
    sizes.assign(size_t(outputs), size / outputs);
  }
  if (int64_t(sizes.size()) != outputs)
    ctx.fail(std::to_string(sizes.size()) + " split sizes for " +
             std::to_string(outputs) + " outputs");
  int64_t total = 0;
  for (int64_t piece : sizes) {
    if (piece < 0)
      ctx.fail("a split size is negative");
    total += piece;
  }
  if (!ShapedType::isDynamic(size) && total != size)
    ctx.fail("the split sizes add up to " + std::to_string(total) +
             ", not the axis's " + std::to_string(size));
  OpBuilder &b = ctx.builder();
  int64_t start = 0;
  for (int64_t i = 0; i < outputs; ++i) {
    int64_t end = start + sizes[size_t(i)];
    RankedTensorType type =
        ruleType(ctx, shape::slice(dimsOf(xType), {start}, {end}, {axis}, {1}),
                 xType.getElementType());
    ctx.setOutput(size_t(i), b.create<SliceOp>(ctx.loc(), type, x,
                                               b.getDenseI64ArrayAttr({start}),
                                               b.getDenseI64ArrayAttr({end}),
                                               b.getDenseI64ArrayAttr({axis}),
                                               b.getDenseI64ArrayAttr({1})));
    start = end;
  }
}

} // namespace

void addTensorConverters(ConverterTable &table) {
  table["Split"] = convertSplit;
  table["Concat"] = convertConcat;
  table["Flatten"] = convertFlatten;
  table["Reshape"] = convertReshape;
  table["Transpose"] = convertTranspose;
}

} // namespace sstep::onnx_import
