//===- ConvertConv.cpp - Conv and BatchNormalization ----------------------===//
//
// BatchNormalization (inference) right after a convolution is folded into the
// convolution's weights and bias, as exporters of trained models expect:
//   W'[f] = W[f] * s[f],  b'[f] = (b[f] - mean[f]) * s[f] + beta[f],
//   s[f] = gamma[f] / sqrt(var[f] + epsilon).
// Elsewhere it becomes a per-channel multiply and add.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cmath>

using namespace mlir;

namespace sstep::onnx_import {
namespace {

void convertConv(NodeContext &ctx) {
  ctx.checkAttrs(
      {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  Value x = ctx.input(0), w = ctx.input(1);
  RankedTensorType xType = tensorType(ctx, x), wType = tensorType(ctx, w);
  if (wType.getRank() != 4 || !wType.hasStaticShape())
    ctx.fail("only 2-D convolutions with a weight of static shape are "
             "supported");
  Window2D win = readWindow2D(ctx, xType,
                              {wType.getDimSize(2), wType.getDimSize(3)}, true);
  int64_t groups = ctx.intAttr("group", 1);
  if (groups < 1)
    ctx.fail("group must be positive");
  int64_t channels = xType.getRank() == 4 ? xType.getDimSize(1) : -1;
  if (!ShapedType::isDynamic(channels) && channels >= 0 &&
      channels != wType.getDimSize(1) * groups)
    ctx.fail("the weight takes " + std::to_string(wType.getDimSize(1)) +
             " input channels per group in " + std::to_string(groups) +
             " group(s), but the input has " + std::to_string(channels));

  OpBuilder &b = ctx.builder();
  RankedTensorType type =
      windowOutputType(ctx, xType, wType.getDimSize(0), win, false);
  Value bias = ctx.hasInput(2) ? ctx.input(2) : Value();
  Value y = b.create<Conv2DOp>(
      ctx.loc(), type, x, w, bias, b.getDenseI64ArrayAttr(win.strides),
      b.getDenseI64ArrayAttr(win.dilations), b.getDenseI64ArrayAttr(win.pads),
      b.getI64IntegerAttr(groups));
  ctx.setOutput(0, y);
}

/// The per-channel values of a BatchNormalization input, in double.
std::vector<double> channelValues(NodeContext &ctx, size_t input,
                                  const char *what, int64_t channels) {
  DenseElementsAttr attr = ctx.requireConstant(input, what);
  if (attr.getNumElements() != channels ||
      !isa<FloatType>(attr.getElementType()))
    ctx.fail(std::string(what) + " must hold " + std::to_string(channels) +
             " floats");
  std::vector<double> values;
  for (APFloat v : attr.getValues<APFloat>())
    values.push_back(v.convertToDouble());
  return values;
}

/// A [C, 1, 1] f32 constant, broadcast over an NCHW image's space.
Value perChannel(NodeContext &ctx, const std::vector<double> &values) {
  std::vector<float> data(values.begin(), values.end());
  auto type = RankedTensorType::get({int64_t(values.size()), 1, 1},
                                    ctx.builder().getF32Type());
  return ctx.builder().create<arith::ConstantOp>(
      ctx.loc(), DenseElementsAttr::get(type, ArrayRef<float>(data)));
}

/// Folds scale and shift into `conv`'s constant weights, or returns null.
Value foldIntoConv(NodeContext &ctx, Conv2DOp conv,
                   const std::vector<double> &scale,
                   const std::vector<double> &shift) {
  auto weightOp = conv.getWeight().getDefiningOp<arith::ConstantOp>();
  arith::ConstantOp biasOp;
  if (conv.getBias())
    biasOp = conv.getBias().getDefiningOp<arith::ConstantOp>();
  if (!weightOp || (conv.getBias() && !biasOp) || ctx.inputUses(0) != 1 ||
      !conv.getType().getElementType().isF32())
    return nullptr;

  auto weights = cast<DenseElementsAttr>(weightOp.getValue());
  int64_t filters = weights.getType().getDimSize(0);
  int64_t perFilter = weights.getNumElements() / filters;
  std::vector<float> newWeights(weights.getValues<float>().begin(),
                                weights.getValues<float>().end());
  std::vector<float> newBias(filters);
  for (int64_t f = 0; f < filters; ++f) {
    for (int64_t i = 0; i < perFilter; ++i)
      newWeights[f * perFilter + i] =
          float(double(newWeights[f * perFilter + i]) * scale[f]);
    double oldBias = biasOp ? double(cast<DenseElementsAttr>(biasOp.getValue())
                                         .getValues<float>()[f])
                            : 0.0;
    newBias[f] = float(oldBias * scale[f] + shift[f]);
  }
  OpBuilder &b = ctx.builder();
  Value w = b.create<arith::ConstantOp>(
      conv.getLoc(),
      DenseElementsAttr::get(weights.getType(), ArrayRef<float>(newWeights)));
  auto biasType = RankedTensorType::get({filters}, b.getF32Type());
  Value bias = b.create<arith::ConstantOp>(
      conv.getLoc(),
      DenseElementsAttr::get(biasType, ArrayRef<float>(newBias)));
  auto folded = b.create<Conv2DOp>(
      FusedLoc::get(b.getContext(), {conv.getLoc(), ctx.loc()}), conv.getType(),
      conv.getInput(), w, bias, conv.getStridesAttr(), conv.getDilationsAttr(),
      conv.getPadsAttr(), conv.getGroupsAttr());
  ctx.dropInputValue(0);
  conv.erase();
  return folded;
}

void convertBatchNormalization(NodeContext &ctx) {
  ctx.checkAttrs({"epsilon", "momentum", "spatial", "training_mode"});
  if (ctx.intAttr("training_mode", 0) != 0)
    ctx.fail("training_mode is not supported (inference only)");
  if (ctx.intAttr("spatial", 1) != 1)
    ctx.fail("spatial=0 is not supported");
  for (size_t i = 1; i < ctx.numOutputs(); ++i)
    if (ctx.outputUsed(i))
      ctx.fail("the running mean/variance outputs are training-only");

  Value x = ctx.input(0);
  RankedTensorType xType = tensorType(ctx, x);
  if (xType.getRank() != 4 || ShapedType::isDynamic(xType.getDimSize(1)) ||
      !xType.getElementType().isF32())
    ctx.fail("expects an f32 NCHW input with a known channel count");
  int64_t channels = xType.getDimSize(1);
  double epsilon = ctx.floatAttr("epsilon", 1e-5f);
  std::vector<double> gamma = channelValues(ctx, 1, "scale", channels);
  std::vector<double> beta = channelValues(ctx, 2, "bias", channels);
  std::vector<double> mean = channelValues(ctx, 3, "mean", channels);
  std::vector<double> var = channelValues(ctx, 4, "variance", channels);
  std::vector<double> scale(channels), shift(channels);
  for (int64_t c = 0; c < channels; ++c) {
    scale[c] = gamma[c] / std::sqrt(var[c] + epsilon);
    shift[c] = beta[c] - mean[c] * scale[c];
  }

  if (auto conv = x.getDefiningOp<Conv2DOp>())
    if (Value folded = foldIntoConv(ctx, conv, scale, shift)) {
      ctx.setOutput(0, folded);
      return;
    }
  OpBuilder &b = ctx.builder();
  Value scaled = b.create<MulOp>(ctx.loc(), xType, x, perChannel(ctx, scale));
  ctx.setOutput(
      0, b.create<AddOp>(ctx.loc(), xType, scaled, perChannel(ctx, shift)));
}

} // namespace

void addConvConverters(ConverterTable &table) {
  table["Conv"] = convertConv;
  table["BatchNormalization"] = convertBatchNormalization;
}

} // namespace sstep::onnx_import
