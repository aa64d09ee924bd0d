//===- ConvertConvTranspose.cpp - ConvTranspose ---------------------------===//
//
// ONNX gives a transposed convolution's cropping three ways: explicit pads,
// auto_pad (output = input * stride), or output_shape. The last two become
// explicit pads here; when output_shape asks for more than the full result,
// the excess is output padding at the bottom and right, as ONNX's reference
// does.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"

using namespace mlir;

namespace sstep::onnx_import {
namespace {

/// Splits `total` cropping into [begin, end]: SAME_UPPER puts the odd pixel
/// at the end, anything else at the beginning (ONNX's ConvTranspose rule).
std::pair<int64_t, int64_t> splitPads(int64_t total, bool upper) {
  int64_t half = total / 2;
  return upper ? std::make_pair(half, total - half)
               : std::make_pair(total - half, half);
}

struct TransposedGeometry {
  std::vector<int64_t> strides, dilations, pads, outputPadding;
};

TransposedGeometry readGeometry(NodeContext &ctx, RankedTensorType x,
                                RankedTensorType w) {
  TransposedGeometry g;
  std::vector<int64_t> kernel = {w.getDimSize(2), w.getDimSize(3)};
  if (ctx.intsAttr("kernel_shape", kernel) != kernel)
    ctx.fail("kernel_shape must match the weight");
  g.strides = ctx.intsAttr("strides", {1, 1});
  g.dilations = ctx.intsAttr("dilations", {1, 1});
  g.outputPadding = ctx.intsAttr("output_padding", {0, 0});
  if (g.strides.size() != 2 || g.dilations.size() != 2 ||
      g.outputPadding.size() != 2)
    ctx.fail("strides, dilations and output_padding must have 2 entries");
  checkWindowValues(ctx, "strides", g.strides, 1);
  checkWindowValues(ctx, "dilations", g.dilations, 1);
  checkWindowValues(ctx, "output_padding", g.outputPadding, 0);
  std::string autoPad = ctx.stringAttr("auto_pad", "NOTSET");
  std::vector<int64_t> outputShape = ctx.intsAttr("output_shape", {});
  g.pads = ctx.intsAttr("pads", {0, 0, 0, 0});
  if (g.pads.size() != 4)
    ctx.fail("pads must have 4 entries");
  checkWindowValues(ctx, "pads", g.pads, 0);
  if (autoPad == "VALID")
    g.pads = {0, 0, 0, 0};
  else if (autoPad != "NOTSET" && autoPad != "SAME_UPPER" &&
           autoPad != "SAME_LOWER")
    ctx.fail("unknown auto_pad '" + autoPad + "'");
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  if (!same && outputShape.empty())
    return g;
  if (!outputShape.empty() && outputShape.size() != 2)
    ctx.fail("output_shape must give [H, W]");
  checkWindowValues(ctx, "output_shape", outputShape, 1);

  for (unsigned axis = 0; axis < 2; ++axis) {
    int64_t extent = g.dilations[axis] * (kernel[axis] - 1) + 1;
    int64_t s = g.strides[axis], op = g.outputPadding[axis];
    int64_t total;
    if (outputShape.empty()) {
      // Output = input * stride, so the crop does not depend on the size.
      total = op + extent - s;
    } else {
      int64_t in = x.getDimSize(2 + axis);
      if (ShapedType::isDynamic(in))
        ctx.failNeedsStaticSize("output_shape fixes the output size, so the "
                                "crop depends on the input size");
      total = s * (in - 1) + op + extent - outputShape[axis];
    }
    if (total < 0) {
      g.outputPadding[axis] -= total;
      total = 0;
    }
    auto [begin, end] = splitPads(total, autoPad == "SAME_UPPER");
    g.pads[axis] = begin;
    g.pads[2 + axis] = end;
  }
  return g;
}

void convertConvTranspose(NodeContext &ctx) {
  ctx.checkAttrs({"auto_pad", "dilations", "group", "kernel_shape",
                  "output_padding", "output_shape", "pads", "strides"});
  Value x = ctx.input(0), w = ctx.input(1);
  RankedTensorType xType = tensorType(ctx, x), wType = tensorType(ctx, w);
  if (xType.getRank() != 4 || wType.getRank() != 4 || !wType.hasStaticShape())
    ctx.fail("only 2-D transposed convolutions with a weight of static shape "
             "are supported");
  int64_t groups = ctx.intAttr("group", 1);
  if (groups < 1 || wType.getDimSize(0) % groups != 0)
    ctx.fail("group must be positive and divide the weight's channels");
  TransposedGeometry g = readGeometry(ctx, xType, wType);

  SmallVector<int64_t> shape = {xType.getDimSize(0),
                                wType.getDimSize(1) * groups};
  for (unsigned axis = 0; axis < 2; ++axis) {
    int64_t in = xType.getDimSize(2 + axis);
    WindowAxis win{wType.getDimSize(2 + axis), g.strides[axis],
                   g.dilations[axis], g.pads[axis], g.pads[2 + axis]};
    if (ShapedType::isDynamic(in)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t out = transposedOutputSize(in, win, g.outputPadding[axis]);
    if (out < 1)
      ctx.fail("pads crop the whole output");
    shape.push_back(out);
  }
  OpBuilder &b = ctx.builder();
  Value bias = ctx.hasInput(2) ? ctx.input(2) : Value();
  Value y = b.create<ConvTranspose2DOp>(
      ctx.loc(), RankedTensorType::get(shape, xType.getElementType()), x, w,
      bias, b.getDenseI64ArrayAttr(g.strides),
      b.getDenseI64ArrayAttr(g.dilations), b.getDenseI64ArrayAttr(g.pads),
      b.getDenseI64ArrayAttr(g.outputPadding), b.getI64IntegerAttr(groups));
  ctx.setOutput(0, y);
}

} // namespace

void addConvTransposeConverters(ConverterTable &table) {
  table["ConvTranspose"] = convertConvTranspose;
}

} // namespace sstep::onnx_import
