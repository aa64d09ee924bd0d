//===- ConvertNorm.cpp - Softmax, LogSoftmax and normalisations -----------===//
//
// The sstep ops normalise over a list of axes: Softmax from opset 13 names
// one axis, before 13 it coerces the input to 2-D at `axis` (all axes from
// there on); LayerNormalization normalises over [axis, rank).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace sstep::onnx_import {
namespace {

/// [from, from + 1, ..., rank - 1].
SmallVector<int64_t> axesFrom(int64_t from, int64_t rank) {
  SmallVector<int64_t> axes;
  for (int64_t axis = from; axis < rank; ++axis)
    axes.push_back(axis);
  return axes;
}

RankedTensorType floatInput(NodeContext &ctx, Value x) {
  RankedTensorType type = tensorType(ctx, x);
  if (!isa<FloatType>(type.getElementType()))
    ctx.fail("expects a float input");
  return type;
}

template <typename Op> void convertSoftmax(NodeContext &ctx) {
  ctx.checkAttrs({"axis"});
  Value x = ctx.input(0);
  RankedTensorType type = floatInput(ctx, x);
  int64_t rank = type.getRank();
  bool single = ctx.opset() >= 13;
  int64_t axis = normalizeAxis(ctx, ctx.intAttr("axis", single ? -1 : 1), rank,
                               ctx.opset() >= 11 || single);
  SmallVector<int64_t> axes =
      single ? SmallVector<int64_t>{axis} : axesFrom(axis, rank);
  OpBuilder &b = ctx.builder();
  ctx.setOutput(0,
                b.create<Op>(ctx.loc(), type, x, b.getDenseI64ArrayAttr(axes)));
}

/// `values` (G entries) repeated `times` times each: a group's scale or
/// bias for each of its channels. Null when `values` is not a constant.
Value perChannel(OpBuilder &b, Location loc, Value values, int64_t times) {
  DenseElementsAttr dense;
  if (!matchPattern(values, m_Constant(&dense)))
    return Value();
  SmallVector<APFloat> expanded;
  for (const APFloat &v : dense.getValues<APFloat>())
    expanded.append(size_t(times), v);
  auto type = RankedTensorType::get({int64_t(expanded.size())},
                                    dense.getType().getElementType());
  return b.create<arith::ConstantOp>(loc,
                                     DenseElementsAttr::get(type, expanded));
}

/// The image `x` was reshaped to (N, G, -1) for this node: PyTorch's
/// GroupNorm export (Reshape -> InstanceNormalization with G-entry scale and
/// bias -> Reshape back to Shape(x)). The normalisation is then a group
/// norm of the image itself, which keeps H and W; the result is reshaped to
/// (N, G, -1) again for the graph, and the Reshape back to Shape(x) undoes
/// that (convertReshape), leaving the intermediate shapes dead.
Value groupNormOfImage(NodeContext &ctx, Value reshaped, Value scale,
                       Value bias, float epsilon) {
  auto reshape = reshaped.getDefiningOp<ReshapeOp>();
  if (!reshape)
    return Value();
  Value image = reshape.getInput();
  auto imageType = cast<RankedTensorType>(image.getType());
  auto type = cast<RankedTensorType>(reshaped.getType());
  ArrayRef<int64_t> target = reshape.getShape();
  if (imageType.getRank() != 4 || type.getRank() != 3 || target.size() != 3 ||
      target[2] != -1 || ShapedType::isDynamic(type.getDimSize(1)) ||
      ShapedType::isDynamic(imageType.getDimSize(1)) ||
      type.getDimSize(0) != imageType.getDimSize(0))
    return Value();
  int64_t groups = type.getDimSize(1), channels = imageType.getDimSize(1);
  if (groups <= 0 || channels % groups != 0)
    return Value();
  OpBuilder &b = ctx.builder();
  Value scaleC = perChannel(b, ctx.loc(), scale, channels / groups);
  Value biasC = perChannel(b, ctx.loc(), bias, channels / groups);
  if (!scaleC || !biasC)
    ctx.fail("a group norm (an image reshaped to N x G x -1) needs constant "
             "scale and B");
  Value normed = b.create<InstanceNormOp>(ctx.loc(), imageType, image, scaleC,
                                          biasC, b.getF32FloatAttr(epsilon),
                                          b.getI64IntegerAttr(groups));
  return b.create<ReshapeOp>(ctx.loc(), type, normed, reshape.getShapeAttr(),
                             reshape.getAllowzeroAttr());
}

void convertInstanceNormalization(NodeContext &ctx) {
  ctx.checkAttrs({"epsilon"});
  Value x = ctx.input(0), scale = ctx.input(1), bias = ctx.input(2);
  RankedTensorType type = floatInput(ctx, x);
  if (type.getRank() < 3)
    ctx.fail("expects an input of rank >= 3 (N x C x D1 ...)");
  for (Value param : {scale, bias})
    if (tensorType(ctx, param).getRank() != 1 ||
        getElementTypeOrSelf(param) != type.getElementType())
      ctx.fail("scale and B must be 1-D, of the input's element type");
  float epsilon = ctx.floatAttr("epsilon", 1e-5f);
  if (Value grouped = groupNormOfImage(ctx, x, scale, bias, epsilon)) {
    ctx.setOutput(0, grouped);
    return;
  }
  OpBuilder &b = ctx.builder();
  ctx.setOutput(0, b.create<InstanceNormOp>(ctx.loc(), type, x, scale, bias,
                                            b.getF32FloatAttr(epsilon),
                                            b.getI64IntegerAttr(0)));
}

/// LayerNormalization (opset 17). Statistics are computed in fp64 whatever
/// `stash_type` asks, which is at least as precise.
void convertLayerNormalization(NodeContext &ctx) {
  ctx.checkAttrs({"axis", "epsilon", "stash_type"});
  if (ctx.opset() < 17)
    ctx.fail("LayerNormalization is an ai.onnx op from opset 17");
  Value x = ctx.input(0), scale = ctx.input(1);
  Value bias = ctx.hasInput(2) ? ctx.input(2) : Value();
  RankedTensorType type = floatInput(ctx, x);
  int64_t axis =
      normalizeAxis(ctx, ctx.intAttr("axis", -1), type.getRank(), true);
  for (Value param : {scale, bias}) {
    if (!param)
      continue;
    if (getElementTypeOrSelf(param) != type.getElementType())
      ctx.fail("Scale and B must have the input's element type");
    shape::Result fits =
        shape::broadcastTo(dimsOf(tensorType(ctx, param)), dimsOf(type));
    if (!fits.ok())
      ctx.fail("Scale and B must broadcast to the input: " + fits.error);
  }
  OpBuilder &b = ctx.builder();
  DenseI64ArrayAttr axes =
      b.getDenseI64ArrayAttr(axesFrom(axis, type.getRank()));
  FloatAttr epsilon = b.getF32FloatAttr(ctx.floatAttr("epsilon", 1e-5f));
  ctx.setOutput(
      0, b.create<LayerNormOp>(ctx.loc(), type, x, scale, bias, axes, epsilon));
  // The optional Mean and InvStdDev outputs: the input's shape with the
  // normalised dimensions set to 1.
  if ((ctx.numOutputs() > 1 && ctx.outputUsed(1)) ||
      (ctx.numOutputs() > 2 && ctx.outputUsed(2))) {
    SmallVector<int64_t> kept(type.getShape());
    for (int64_t d = axis; d < type.getRank(); ++d)
      kept[d] = 1;
    // ONNX types them by stash_type (1, float, by default).
    Type stash = ctx.intAttr("stash_type", 1) == 1 ? Type(b.getF32Type())
                                                   : type.getElementType();
    auto statsType = RankedTensorType::get(kept, stash);
    auto stats = b.create<NormStatsOp>(ctx.loc(), statsType, statsType, x, axes,
                                       epsilon);
    ctx.setOutput(1, stats.getMean());
    if (ctx.numOutputs() > 2)
      ctx.setOutput(2, stats.getInvStdDev());
  }
}

} // namespace

void addNormConverters(ConverterTable &table) {
  table["Softmax"] = convertSoftmax<SoftmaxOp>;
  table["LogSoftmax"] = convertSoftmax<LogSoftmaxOp>;
  table["InstanceNormalization"] = convertInstanceNormalization;
  table["LayerNormalization"] = convertLayerNormalization;
}

} // namespace sstep::onnx_import
