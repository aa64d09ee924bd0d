//===- NormOps.cpp - Normalisations of the sstep dialect ------------------===//

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

using namespace mlir;

namespace sstep {
namespace {

/// Checks that `axes` is non-empty, strictly increasing and within `rank`.
LogicalResult verifyAxes(Operation *op, ArrayRef<int64_t> axes, int64_t rank) {
  if (axes.empty())
    return op->emitOpError("expects at least one axis");
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= rank)
      return op->emitOpError()
             << "expects axes in [0, " << rank << "), got " << axes[i];
    if (i > 0 && axes[i] <= axes[i - 1])
      return op->emitOpError("expects strictly increasing axes");
  }
  return success();
}

/// Whether normalising `input` over `axes` reads all of H or W of an image.
bool normalisesOverSpace(Type input, ArrayRef<int64_t> axes) {
  return isImageType(input) &&
         llvm::any_of(axes, [](int64_t axis) { return axis >= 2; });
}

template <typename SoftmaxOp> LogicalResult verifySoftmax(SoftmaxOp op) {
  return verifyAxes(op, op.getAxes(), op.getInput().getType().getRank());
}

} // namespace

LogicalResult SoftmaxOp::verify() { return verifySoftmax(*this); }

bool SoftmaxOp::isNonLocal() {
  return normalisesOverSpace(getInput().getType(), getAxes());
}

// Both gradients are functions of the result and its gradient.
bool SoftmaxOp::vjpReadsOperand(unsigned) { return false; }
bool SoftmaxOp::vjpReadsResult() { return true; }
bool LogSoftmaxOp::vjpReadsOperand(unsigned) { return false; }
bool LogSoftmaxOp::vjpReadsResult() { return true; }

LogicalResult LogSoftmaxOp::verify() { return verifySoftmax(*this); }

bool LogSoftmaxOp::isNonLocal() {
  return normalisesOverSpace(getInput().getType(), getAxes());
}

LogicalResult InstanceNormOp::verify() {
  RankedTensorType input = getInput().getType();
  if (input.getRank() < 3)
    return emitOpError("expects an input of rank >= 3 (N x C x D1 ...), got ")
           << input;
  Type element = input.getElementType();
  for (auto [name, param] : {std::make_pair("scale", getScale()),
                             std::make_pair("bias", getBias())}) {
    if (param.getType().getElementType() != element)
      return emitOpError() << "expects a " << name
                           << " of the input's element type";
    if (!dimsAgree(param.getType().getDimSize(0), input.getDimSize(1)))
      return emitOpError() << "expects a " << name << " of "
                           << input.getDimSize(1) << " entries, got "
                           << param.getType().getDimSize(0);
  }
  int64_t groups = getGroups(), channels = input.getDimSize(1);
  if (groups < 0)
    return emitOpError() << "expects groups >= 0, got " << groups;
  if (groups > 0 && !ShapedType::isDynamic(channels) && channels % groups != 0)
    return emitOpError() << "expects groups dividing the " << channels
                         << " channels, got " << groups;
  return success();
}

LogicalResult LayerNormOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyAxes(*this, getAxes(), input.getRank())))
    return failure();
  SmallVector<std::pair<const char *, Value>> params = {{"scale", getScale()}};
  if (getBias())
    params.push_back({"bias", getBias()});
  for (auto [name, param] : params) {
    auto type = cast<RankedTensorType>(param.getType());
    if (type.getElementType() != input.getElementType())
      return emitOpError() << "expects a " << name
                           << " of the input's element type";
    std::string context =
        "expects the " + std::string(name) + " to broadcast to the input";
    if (failed(verifyShapeRule(
            *this, context, shape::broadcastTo(dimsOf(type), dimsOf(input)))))
      return failure();
  }
  return success();
}

LogicalResult NormStatsOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyAxes(*this, getAxes(), input.getRank())))
    return failure();
  SmallVector<int64_t> kept(input.getShape());
  for (int64_t a : getAxes())
    kept[a] = 1;
  for (Value result : {getMean(), getInvStdDev()}) {
    auto type = cast<RankedTensorType>(result.getType());
    if (!verifyCompatibleShape(type.getShape(), kept).succeeded())
      return emitOpError() << "expects results of the input's shape with the "
                              "normalised dimensions set to 1";
  }
  return success();
}

bool LayerNormOp::isNonLocal() {
  return normalisesOverSpace(getInput().getType(), getAxes());
}

} // namespace sstep
