//===- ConvertGeometry.cpp - Pad, Resize, Upsample ------------------------===//
//
// Resize's output size arrives as constant scales, constant sizes, or sizes
// computed from another value's shape (folded by ConvertShape.cpp); the last
// becomes the `like` operand of sstep.resize2d so the model keeps running on
// any image size.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"

#include <cmath>

using namespace mlir;

namespace sstep::onnx_import {
namespace {

RankedTensorType requireImage(NodeContext &ctx, Value x) {
  RankedTensorType type = tensorType(ctx, x);
  if (type.getRank() != 4)
    ctx.fail("only 4-D NCHW inputs are supported, got rank " +
             std::to_string(type.getRank()));
  return type;
}

RankedTensorType withSpatial(RankedTensorType type, int64_t h, int64_t w) {
  return RankedTensorType::get({type.getDimSize(0), type.getDimSize(1), h, w},
                               type.getElementType());
}

void convertPad(NodeContext &ctx) {
  Value x = ctx.input(0);
  RankedTensorType type = requireImage(ctx, x);
  std::string mode = ctx.stringAttr("mode", "constant");
  std::vector<int64_t> pads;
  float value = 0;
  if (ctx.opset() < 11) {
    ctx.checkAttrs({"mode", "pads", "value"});
    pads = ctx.intsAttr("pads", {});
    value = ctx.floatAttr("value", 0);
  } else {
    ctx.checkAttrs({"mode"});
    DenseElementsAttr p = ctx.requireInts(1, "pads");
    for (const APInt &v : p.getValues<APInt>())
      pads.push_back(v.getSExtValue());
    if (ctx.hasInput(2)) {
      DenseElementsAttr v = ctx.requireConstant(2, "constant_value");
      if (!v.getElementType().isF32() || v.getNumElements() != 1)
        ctx.fail("constant_value must be one float");
      value = *v.getValues<float>().begin();
    }
  }
  if (pads.size() != 8)
    ctx.fail("pads must have 8 entries for a 4-D input");
  if (pads[0] || pads[1] || pads[4] || pads[5])
    ctx.fail("only the spatial axes (H, W) may be padded");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    ctx.fail("unknown mode '" + mode + "'");
  std::vector<int64_t> spatial = {pads[2], pads[3], pads[6], pads[7]};
  int64_t size[2];
  for (unsigned axis = 0; axis < 2; ++axis) {
    int64_t in = type.getDimSize(2 + axis);
    size[axis] = ShapedType::isDynamic(in)
                     ? ShapedType::kDynamic
                     : in + spatial[axis] + spatial[2 + axis];
    if (!ShapedType::isDynamic(in) && size[axis] < 1)
      ctx.fail("pads crop the whole image");
  }
  OpBuilder &b = ctx.builder();
  ctx.setOutput(
      0, b.create<Pad2DOp>(ctx.loc(), withSpatial(type, size[0], size[1]), x,
                           b.getDenseI64ArrayAttr(spatial),
                           b.getStringAttr(mode), b.getF32FloatAttr(value)));
}

/// Resize attributes common to Resize and Upsample.
struct ResizeSpec {
  std::string mode, coordinateMode, nearestMode;
  std::optional<std::vector<double>> scales;
  std::optional<std::vector<int64_t>> sizes;
  Value like;
  std::vector<int64_t> likeScale = {1, 1, 1, 1};
};

std::vector<double> spatialScales(NodeContext &ctx, size_t input) {
  DenseElementsAttr s = ctx.requireFloats(input, "scales");
  std::vector<double> v;
  for (const APFloat &f : s.getValues<APFloat>())
    v.push_back(f.convertToDouble());
  if (v.size() != 4 || v[0] != 1 || v[1] != 1)
    ctx.fail("scales must be [1, 1, h, w]: only H and W can be resized");
  return {v[2], v[3]};
}

/// Sizes [N, C, h, w]: constant, or h and w from one value's H and W.
void readSizes(NodeContext &ctx, size_t input, ResizeSpec &spec) {
  std::optional<ShapeExpr> sizes = ctx.shapeInput(input);
  if (!sizes || sizes->elems.size() != 4)
    ctx.fail("sizes must be 4 integers from constants or shape arithmetic");
  const SymInt &h = sizes->elems[2], &w = sizes->elems[3];
  if (h.isConstant() && w.isConstant()) {
    spec.sizes = std::vector<int64_t>{h.constant, w.constant};
    return;
  }
  if (h.isConstant() || w.isConstant() || h.source != w.source || h.axis != 2 ||
      w.axis != 3)
    ctx.fail("sizes must both be constant or be the H and W of one value");
  spec.like = h.source;
  spec.likeScale = {h.num, h.den, w.num, w.den};
}

void emitResize(NodeContext &ctx, Value x, const ResizeSpec &spec) {
  RankedTensorType type = requireImage(ctx, x);
  int64_t size[2];
  for (unsigned axis = 0; axis < 2; ++axis) {
    int64_t in = type.getDimSize(2 + axis);
    size[axis] = ShapedType::kDynamic;
    if (spec.sizes)
      size[axis] = (*spec.sizes)[axis];
    else if (spec.scales && !ShapedType::isDynamic(in))
      size[axis] = int64_t(std::floor(double(in) * (*spec.scales)[axis]));
    else if (spec.like) {
      int64_t l =
          cast<RankedTensorType>(spec.like.getType()).getDimSize(2 + axis);
      if (!ShapedType::isDynamic(l))
        size[axis] =
            l * spec.likeScale[2 * axis] / spec.likeScale[2 * axis + 1];
    }
    if (!ShapedType::isDynamic(size[axis]) && size[axis] < 1)
      ctx.fail("resizes the image to nothing");
  }
  OpBuilder &b = ctx.builder();
  auto op = b.create<Resize2DOp>(
      ctx.loc(), withSpatial(type, size[0], size[1]), x, spec.like,
      b.getStringAttr(spec.mode), b.getStringAttr(spec.coordinateMode),
      b.getStringAttr(spec.nearestMode),
      spec.scales ? b.getDenseF64ArrayAttr(*spec.scales) : DenseF64ArrayAttr(),
      spec.sizes ? b.getDenseI64ArrayAttr(*spec.sizes) : DenseI64ArrayAttr(),
      b.getDenseI64ArrayAttr(spec.likeScale));
  ctx.setOutput(0, op);
}

void convertResize(NodeContext &ctx) {
  ctx.checkAttrs({"mode", "coordinate_transformation_mode", "nearest_mode",
                  "cubic_coeff_a", "exclude_outside", "extrapolation_value"});
  ResizeSpec spec;
  spec.mode = ctx.stringAttr("mode", "nearest");
  if (spec.mode != "nearest" && spec.mode != "linear")
    ctx.fail("mode '" + spec.mode + "' is not supported (nearest, linear)");
  spec.coordinateMode =
      ctx.opset() < 11
          ? "asymmetric"
          : ctx.stringAttr("coordinate_transformation_mode", "half_pixel");
  if (spec.coordinateMode == "tf_crop_and_resize")
    ctx.fail("coordinate_transformation_mode tf_crop_and_resize is not "
             "supported");
  spec.nearestMode = ctx.opset() < 11
                         ? "round_prefer_floor"
                         : ctx.stringAttr("nearest_mode", "round_prefer_floor");
  if (ctx.intAttr("exclude_outside", 0) != 0)
    ctx.fail("exclude_outside is not supported");
  size_t scalesInput = ctx.opset() < 11 ? 1 : 2;
  bool hasScales = ctx.hasInput(scalesInput) &&
                   ctx.requireConstant(scalesInput, "scales").getNumElements();
  if (ctx.opset() >= 11 && ctx.hasInput(3))
    readSizes(ctx, 3, spec);
  else if (hasScales)
    spec.scales = spatialScales(ctx, scalesInput);
  else
    ctx.fail("neither scales nor sizes given");
  emitResize(ctx, ctx.input(0), spec);
}

void convertUpsample(NodeContext &ctx) {
  ctx.checkAttrs({"mode", "scales"});
  ResizeSpec spec;
  spec.mode = ctx.stringAttr("mode", "nearest");
  if (spec.mode == "bilinear")
    spec.mode = "linear";
  if (spec.mode != "nearest" && spec.mode != "linear")
    ctx.fail("mode '" + spec.mode + "' is not supported (nearest, linear)");
  // Upsample samples at x / scale and rounds down.
  spec.coordinateMode = "asymmetric";
  spec.nearestMode = "floor";
  if (ctx.hasAttr("scales")) {
    std::vector<float> s;
    for (const auto &a : ctx.node().attribute())
      if (a.name() == "scales")
        s.assign(a.floats().begin(), a.floats().end());
    if (s.size() != 4 || s[0] != 1 || s[1] != 1)
      ctx.fail("scales must be [1, 1, h, w]: only H and W can be resized");
    spec.scales = std::vector<double>{s[2], s[3]};
  } else {
    spec.scales = spatialScales(ctx, 1);
  }
  emitResize(ctx, ctx.input(0), spec);
}

} // namespace

void addGeometryConverters(ConverterTable &table) {
  table["Pad"] = convertPad;
  table["Resize"] = convertResize;
  table["Upsample"] = convertUpsample;
}

} // namespace sstep::onnx_import
