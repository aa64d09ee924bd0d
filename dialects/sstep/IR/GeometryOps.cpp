//===- GeometryOps.cpp - Ops that move pixels: pad, resize ----------------===//

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;

namespace sstep {
namespace {

/// Fails unless `value` is one of `allowed`.
LogicalResult verifyOneOf(Operation *op, StringRef name, StringRef value,
                          ArrayRef<StringRef> allowed) {
  if (llvm::is_contained(allowed, value))
    return success();
  InFlightDiagnostic d = op->emitOpError()
                         << "expects '" << name << "' to be one of ";
  llvm::interleaveComma(allowed, d, [&](StringRef a) { d << '"' << a << '"'; });
  return d << ", got \"" << value << "\"";
}

} // namespace

//===----------------------------------------------------------------------===//
// Pad2DOp
//===----------------------------------------------------------------------===//

OpFoldResult Pad2DOp::fold(FoldAdaptor) {
  // PyTorch spells AvgPool2d's count_include_pad as a Pad before the pool,
  // by zero when there is nothing to pad; running it would copy the image.
  if (getInput().getType() == getType() &&
      llvm::all_of(getPads(), [](int64_t p) { return p == 0; }))
    return getInput();
  // A crop of a crop (HoVer-Net's slices of H, then of W) is one crop, in
  // place.
  auto crops = [](ArrayRef<int64_t> pads) {
    return llvm::all_of(pads, [](int64_t p) { return p <= 0; });
  };
  auto inner = getInput().getDefiningOp<Pad2DOp>();
  if (inner && crops(getPads()) && crops(inner.getPads())) {
    SmallVector<int64_t, 4> pads(getPads());
    for (auto [p, q] : llvm::zip(pads, inner.getPads()))
      p += q;
    setPads(pads);
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  return {};
}

LogicalResult Pad2DOp::verify() {
  if (getPads().size() != 4)
    return emitOpError() << "expects 'pads' to have 4 entries, got "
                         << getPads().size();
  if (failed(verifyOneOf(*this, "mode", getMode(),
                         {"constant", "reflect", "edge"})) ||
      failed(verifyBatchAndChannels(*this, getInput().getType(),
                                    getOutput().getType())))
    return failure();
  for (unsigned axis = 0; axis < 2; ++axis) {
    int64_t in = getInput().getType().getDimSize(2 + axis);
    if (ShapedType::isDynamic(in))
      continue;
    int64_t expected = in + getPads()[axis] + getPads()[2 + axis];
    if (expected < 1)
      return emitOpError() << "crops the whole image on axis "
                           << axisName(axis);
    if (getMode() == "reflect" &&
        std::max(getPads()[axis], getPads()[2 + axis]) >= in)
      return emitOpError() << "expects reflect pads smaller than the image ("
                           << in << ") on axis " << axisName(axis);
    if (!dimsAgree(getOutput().getType().getDimSize(2 + axis), expected))
      return emitOpError() << "expects output " << axisName(axis) << " = "
                           << expected << ", got "
                           << getOutput().getType().getDimSize(2 + axis);
  }
  return success();
}

AxisRule Pad2DOp::getAxisRule(unsigned axis) {
  AxisRule rule;
  rule.kind = AxisRule::Kind::Shift;
  rule.window.padBegin = getPads()[axis];
  rule.window.padEnd = getPads()[2 + axis];
  if (getMode() == "reflect")
    rule.border = BorderRule::Reflect;
  else if (getMode() == "edge")
    rule.border = BorderRule::Clamp;
  else
    rule.border = getValue().isZero() ? BorderRule::Zero : BorderRule::Constant;
  return rule;
}

//===----------------------------------------------------------------------===//
// Resize2DOp
//===----------------------------------------------------------------------===//

LogicalResult Resize2DOp::verify() {
  if (failed(verifyOneOf(*this, "mode", getMode(), {"nearest", "linear"})) ||
      failed(verifyOneOf(*this, "coordinate_mode", getCoordinateMode(),
                         {"half_pixel", "pytorch_half_pixel", "align_corners",
                          "asymmetric", "tf_half_pixel_for_nn"})) ||
      failed(verifyOneOf(
          *this, "nearest_mode", getNearestMode(),
          {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"})) ||
      failed(verifyBatchAndChannels(*this, getInput().getType(),
                                    getOutput().getType())) ||
      failed(verifyIntList(*this, "like_scale", getLikeScale(), 4, 1)))
    return failure();
  int given = !!getScales() + !!getSizes() + !!getLike();
  if (given != 1)
    return emitOpError("expects exactly one of 'scales', 'sizes' and a "
                       "'like' operand to give the output size");
  if (getSizes() && failed(verifyIntList(*this, "sizes", *getSizes(), 2, 1)))
    return failure();
  if (getScales()) {
    if (getScales()->size() != 2 ||
        llvm::any_of(*getScales(), [](double s) { return !(s > 0); }))
      return emitOpError("expects 'scales' to hold 2 positive entries");
  }
  for (unsigned axis = 0; axis < 2; ++axis) {
    int64_t expected = ShapedType::kDynamic;
    int64_t in = getInput().getType().getDimSize(2 + axis);
    if (getSizes()) {
      expected = (*getSizes())[axis];
    } else if (getScales() && !ShapedType::isDynamic(in)) {
      expected = int64_t(std::floor(double(in) * (*getScales())[axis]));
      if (expected < 1)
        return emitOpError()
               << "scales the image to nothing on axis " << axisName(axis);
    } else if (getLike()) {
      int64_t like = getLike().getType().getDimSize(2 + axis);
      if (!ShapedType::isDynamic(like))
        expected =
            like * getLikeScale()[2 * axis] / getLikeScale()[2 * axis + 1];
    }
    if (!dimsAgree(getOutput().getType().getDimSize(2 + axis), expected))
      return emitOpError() << "expects output " << axisName(axis) << " = "
                           << expected << ", got "
                           << getOutput().getType().getDimSize(2 + axis);
  }
  return success();
}

bool Resize2DOp::isSpatialOperand(unsigned operand) {
  // `like` gives only its size; its pixels are never read.
  return operand == 0;
}

AxisRule Resize2DOp::getAxisRule(unsigned axis) {
  AxisRule rule;
  rule.kind = AxisRule::Kind::Resize;
  rule.border = BorderRule::Clamp;
  rule.linear = getMode() == "linear";
  rule.coordinateMode = getCoordinateMode().str();
  rule.nearestMode = getNearestMode().str();
  if (getScales())
    rule.scale = (*getScales())[axis];
  else if (getSizes())
    rule.fixedSize = (*getSizes())[axis];
  else {
    rule.likeNum = getLikeScale()[2 * axis];
    rule.likeDen = getLikeScale()[2 * axis + 1];
  }
  return rule;
}

//===----------------------------------------------------------------------===//
// Gradient rules: pads and resizes move pixels by their geometry alone, so
// their gradients read no values; a resize's `like` gives its size only.
//===----------------------------------------------------------------------===//

bool Pad2DOp::vjpReadsOperand(unsigned) { return false; }

bool Resize2DOp::isDifferentiableOperand(unsigned operand) {
  return operand == 0;
}

bool Resize2DOp::vjpReadsOperand(unsigned) { return false; }

} // namespace sstep
