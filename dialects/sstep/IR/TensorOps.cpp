//===- TensorOps.cpp - Data movement ops of the sstep dialect -------------===//

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;

namespace sstep {

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("expects at least one input");
  std::vector<shape::Dims> inputs;
  for (Value input : getInputs()) {
    if (getElementTypeOrSelf(input) != getElementTypeOrSelf(getOutput()))
      return emitOpError("expects inputs and output of one element type");
    inputs.push_back(dimsOf(cast<RankedTensorType>(input.getType())));
  }
  return verifyResultShape(*this, shape::concat(inputs, getAxis()),
                           getOutput().getType());
}

// Along H or W, where an output pixel comes from depends on the inputs'
// sizes, which a window rule cannot state.
bool ConcatOp::isNonLocal() {
  return getOutput().getType().getRank() == 4 && getAxis() >= 2;
}

LogicalResult FlattenOp::verify() {
  if (getInput().getType().getElementType() !=
      getOutput().getType().getElementType())
    return emitOpError("expects input and output of one element type");
  return verifyResultShape(
      *this, shape::flatten(dimsOf(getInput().getType()), getAxis()),
      getOutput().getType());
}

LogicalResult ReshapeOp::verify() {
  if (getInput().getType().getElementType() !=
      getOutput().getType().getElementType())
    return emitOpError("expects input and output of one element type");
  return verifyResultShape(*this,
                           shape::reshape(dimsOf(getInput().getType()),
                                          shape::Dims(getShape()),
                                          getAllowzero()),
                           getOutput().getType());
}

LogicalResult ChannelShuffleOp::verify() {
  int64_t channels = getInput().getType().getDimSize(1);
  if (ShapedType::isDynamic(channels))
    return emitOpError("needs a known channel count");
  if (channels % getGroups() != 0)
    return emitOpError("cannot deal ")
           << channels << " channels into " << getGroups() << " groups";
  return success();
}

LogicalResult SliceOp::verify() {
  if (getInput().getType().getElementType() !=
      getOutput().getType().getElementType())
    return emitOpError("expects input and output of one element type");
  return verifyResultShape(
      *this,
      shape::slice(dimsOf(getInput().getType()), shape::Dims(getStarts()),
                   shape::Dims(getEnds()), shape::Dims(getAxes()),
                   shape::Dims(getSteps())),
      getOutput().getType());
}

bool SliceOp::isNonLocal() {
  // Cutting H or W moves pixels; a slice of channels (or batch) does not.
  if (getInput().getType().getRank() != 4)
    return true;
  for (int64_t a : getAxes())
    if (a >= 2)
      return true;
  return false;
}

namespace {

/// `x[:, :, t:-b, l:-r]`: a crop by margins that do not depend on the image
/// size, which pad2d states as a shift (a window rule), so the network still
/// tiles through it. A slice whose end counts from the start keeps a fixed
/// size and stays a (non-local) slice.
struct SpatialCropToPad : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp slice,
                                PatternRewriter &rewriter) const override {
    RankedTensorType type = slice.getInput().getType();
    if (type.getRank() != 4)
      return failure();
    // [top, left, bottom, right], negative: cropped.
    SmallVector<int64_t, 4> pads(4, 0);
    for (auto [i, axis] : llvm::enumerate(slice.getAxes())) {
      int64_t start = slice.getStarts()[i], end = slice.getEnds()[i];
      bool toTheEnd = end >= std::numeric_limits<int32_t>::max();
      if (axis < 2 || slice.getSteps()[i] != 1 || start < 0 ||
          (end >= 0 && !toTheEnd))
        return failure();
      pads[axis - 2] -= start;
      pads[axis] += toTheEnd ? 0 : end;
    }
    rewriter.replaceOpWithNewOp<Pad2DOp>(
        slice, slice.getOutput().getType(), slice.getInput(),
        rewriter.getDenseI64ArrayAttr(pads), rewriter.getStringAttr("constant"),
        rewriter.getF32FloatAttr(0.0f));
    return success();
  }
};

} // namespace

void SliceOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                          MLIRContext *context) {
  patterns.add<SpatialCropToPad>(context);
}

LogicalResult TransposeOp::verify() {
  if (getInput().getType().getElementType() !=
      getOutput().getType().getElementType())
    return emitOpError("expects input and output of one element type");
  return verifyResultShape(
      *this,
      shape::transpose(dimsOf(getInput().getType()), shape::Dims(getPerm())),
      getOutput().getType());
}

//===----------------------------------------------------------------------===//
// Gradient rules: data movement reads no values backwards.
//===----------------------------------------------------------------------===//

bool ConcatOp::vjpReadsOperand(unsigned) { return false; }
bool ChannelShuffleOp::vjpReadsOperand(unsigned) { return false; }
bool SliceOp::vjpReadsOperand(unsigned) { return false; }

} // namespace sstep
