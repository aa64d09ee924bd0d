//===- OpConverters.cpp - The converter table and shared helpers ----------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/SpatialRules.h"
#include "dialects/sstep/IR/VerifyUtils.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace sstep::onnx_import {

const ConverterTable &converters() {
  static const ConverterTable table = [] {
    ConverterTable t;
    addConvConverters(t);
    addConvTransposeConverters(t);
    addPoolConverters(t);
    addPointwiseConverters(t);
    addStructuralConverters(t);
    addShapeConverters(t);
    addGeometryConverters(t);
    addTensorConverters(t);
    addMatrixConverters(t);
    addNormConverters(t);
    return t;
  }();
  return table;
}

RankedTensorType tensorType(NodeContext &ctx, Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type)
    ctx.fail("expects ranked tensors");
  return type;
}

int64_t normalizeAxis(NodeContext &ctx, int64_t axis, int64_t rank,
                      bool allowNegative, const char *what) {
  int64_t lo = allowNegative ? -rank : 0;
  if (axis < lo || axis >= rank)
    ctx.fail(std::string(what) + " " + std::to_string(axis) +
             " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

RankedTensorType ruleType(NodeContext &ctx, const shape::Result &rule,
                          Type element) {
  if (!rule.ok())
    ctx.fail(rule.error);
  SmallVector<int64_t> dims;
  for (int64_t d : rule.dims)
    dims.push_back(shape::known(d) ? d : ShapedType::kDynamic);
  return RankedTensorType::get(dims, element);
}

void setReshapeOutput(NodeContext &ctx, Value x,
                      const std::vector<int64_t> &target, bool allowZero) {
  RankedTensorType xType = tensorType(ctx, x);
  RankedTensorType type =
      ruleType(ctx, shape::reshape(dimsOf(xType), target, allowZero),
               xType.getElementType());
  OpBuilder &b = ctx.builder();
  ctx.setOutput(0, b.create<ReshapeOp>(ctx.loc(), type, x,
                                       b.getDenseI64ArrayAttr(target),
                                       b.getBoolAttr(allowZero)));
}

/// SAME_UPPER/SAME_LOWER pads for one axis: the total makes the output
/// ceil(size / stride), the odd pixel going at the end (upper) or start.
static std::pair<int64_t, int64_t> samePads(NodeContext &ctx, int64_t size,
                                            int64_t kernel, int64_t stride,
                                            int64_t dilation, bool upper) {
  int64_t extent = dilation * (kernel - 1) + 1;
  int64_t total;
  if (stride == 1) {
    total = extent - 1; // Independent of the image size.
  } else {
    if (ShapedType::isDynamic(size))
      ctx.failNeedsStaticSize("auto_pad SAME with stride > 1 pads by an "
                              "amount that depends on the image size");
    int64_t out = (size + stride - 1) / stride;
    total = std::max<int64_t>(0, (out - 1) * stride + extent - size);
  }
  int64_t small = total / 2, large = total - small;
  return upper ? std::make_pair(small, large) : std::make_pair(large, small);
}

void checkWindowValues(NodeContext &ctx, const char *what,
                       const std::vector<int64_t> &values, int64_t lo) {
  constexpr int64_t kMax = int64_t(1) << 30;
  for (int64_t v : values)
    if (v < lo || v > kMax)
      ctx.fail(std::string(what) + " must be " +
               (lo > 0 ? "positive" : "non-negative") +
               " (and at most 2^30), got " + std::to_string(v));
}

Window2D readWindow2D(NodeContext &ctx, RankedTensorType input,
                      std::vector<int64_t> kernel, bool hasDilations) {
  if (input.getRank() != 4)
    ctx.fail("expects a 4-D NCHW input, got rank " +
             std::to_string(input.getRank()));
  Window2D w;
  w.kernel = ctx.intsAttr("kernel_shape", kernel);
  if (w.kernel.size() != 2 || (!kernel.empty() && w.kernel != kernel))
    ctx.fail("kernel_shape must have 2 entries matching the weight");
  w.strides = ctx.intsAttr("strides", {1, 1});
  w.dilations = hasDilations ? ctx.intsAttr("dilations", {1, 1})
                             : std::vector<int64_t>{1, 1};
  if (w.strides.size() != 2 || w.dilations.size() != 2)
    ctx.fail("strides and dilations must have 2 entries");
  checkWindowValues(ctx, "kernel_shape", w.kernel, 1);
  checkWindowValues(ctx, "strides", w.strides, 1);
  checkWindowValues(ctx, "dilations", w.dilations, 1);

  std::string autoPad = ctx.stringAttr("auto_pad", "NOTSET");
  if (autoPad == "NOTSET") {
    w.pads = ctx.intsAttr("pads", {0, 0, 0, 0});
    if (w.pads.size() != 4)
      ctx.fail("pads must have 4 entries");
    checkWindowValues(ctx, "pads", w.pads, 0);
  } else if (autoPad == "VALID") {
    w.pads = {0, 0, 0, 0};
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    w.pads.assign(4, 0);
    for (unsigned axis = 0; axis < 2; ++axis) {
      auto [begin, end] =
          samePads(ctx, input.getDimSize(2 + axis), w.kernel[axis],
                   w.strides[axis], w.dilations[axis], autoPad == "SAME_UPPER");
      w.pads[axis] = begin;
      w.pads[2 + axis] = end;
    }
  } else {
    ctx.fail("unknown auto_pad '" + autoPad + "'");
  }
  return w;
}

RankedTensorType windowOutputType(NodeContext &ctx, RankedTensorType input,
                                  int64_t channels, const Window2D &w,
                                  bool ceilMode) {
  SmallVector<int64_t> shape = {input.getDimSize(0), channels};
  for (unsigned axis = 0; axis < 2; ++axis) {
    int64_t inSize = input.getDimSize(2 + axis);
    if (ShapedType::isDynamic(inSize)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    WindowAxis axisWindow{w.kernel[axis], w.strides[axis], w.dilations[axis],
                          w.pads[axis], w.pads[2 + axis]};
    int64_t size = windowOutputSize(inSize, axisWindow, ceilMode);
    if (size < 1)
      ctx.fail("the window is larger than the padded input");
    shape.push_back(size);
  }
  return RankedTensorType::get(shape, input.getElementType());
}

} // namespace sstep::onnx_import
