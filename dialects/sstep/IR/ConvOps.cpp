//===- ConvOps.cpp - Convolutions of the sstep dialect --------------------===//

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

using namespace mlir;

namespace sstep {
namespace {

/// The window geometry of a convolution or transposed convolution: the kernel
/// from the weight's spatial dims, the rest from the attributes.
template <typename ConvOp> WindowAxis convWindowAxis(ConvOp op, unsigned axis) {
  assert(axis < 2 && "convolutions have two spatial axes");
  WindowAxis w;
  w.kernel = op.getWeight().getType().getDimSize(2 + axis);
  w.stride = op.getStrides()[axis];
  w.dilation = op.getDilations()[axis];
  w.padBegin = op.getPads()[axis];
  w.padEnd = op.getPads()[2 + axis];
  return w;
}

/// What convolutions and transposed convolutions share: a static weight, one
/// element type throughout, a bias of `filters` entries, and an output with the
/// input's batch and `filters` channels.
template <typename ConvOp>
LogicalResult verifyConvOperands(ConvOp op, int64_t filters) {
  RankedTensorType input = op.getInput().getType();
  RankedTensorType weight = op.getWeight().getType();
  RankedTensorType output = op.getOutput().getType();
  Type elementType = input.getElementType();
  if (weight.getElementType() != elementType ||
      output.getElementType() != elementType ||
      (op.getBias() && op.getBias().getType().getElementType() != elementType))
    return op.emitOpError("expects input, weight, bias and output of one "
                          "element type");
  if (op.getBias() && !dimsAgree(op.getBias().getType().getDimSize(0), filters))
    return op.emitOpError()
           << "expects a bias of " << filters << " entries, got "
           << op.getBias().getType().getDimSize(0);
  if (!dimsAgree(output.getDimSize(0), input.getDimSize(0)))
    return op.emitOpError("expects the output batch to equal the input batch");
  if (!dimsAgree(output.getDimSize(1), filters))
    return op.emitOpError() << "expects " << filters << " output channels, got "
                            << output.getDimSize(1);
  return success();
}

/// The weight's shape must be static before its dims can be read.
template <typename ConvOp> LogicalResult verifyStaticWeight(ConvOp op) {
  RankedTensorType weight = op.getWeight().getType();
  if (!weight.hasStaticShape())
    return op.emitOpError("expects a weight of static shape, got ") << weight;
  return success();
}

} // namespace

WindowAxis Conv2DOp::getWindowAxis(unsigned axis) {
  return convWindowAxis(*this, axis);
}

LogicalResult Conv2DOp::verify() {
  if (failed(
          verifyWindowLists(*this, getStrides(), getDilations(), getPads())) ||
      failed(verifyStaticWeight(*this)))
    return failure();
  RankedTensorType input = getInput().getType();
  RankedTensorType weight = getWeight().getType();
  RankedTensorType output = getOutput().getType();
  int64_t groups = getGroups();
  int64_t filters = weight.getDimSize(0);
  int64_t channelsPerGroup = weight.getDimSize(1);
  if (filters % groups != 0)
    return emitOpError() << "expects the " << filters
                         << " filters to divide into " << groups << " groups";
  if (!dimsAgree(input.getDimSize(1), channelsPerGroup * groups))
    return emitOpError() << "expects " << channelsPerGroup * groups
                         << " input channels (" << groups << " groups of "
                         << channelsPerGroup << "), got "
                         << input.getDimSize(1);
  if (failed(verifyConvOperands(*this, filters)))
    return failure();

  for (unsigned axis = 0; axis < 2; ++axis) {
    int64_t inSize = input.getDimSize(2 + axis);
    if (ShapedType::isDynamic(inSize))
      continue;
    WindowAxis w = getWindowAxis(axis);
    int64_t expected = windowOutputSize(inSize, w);
    if (expected < 1)
      return emitOpError() << "kernel extent " << w.extent()
                           << " exceeds the padded input size "
                           << inSize + w.padBegin + w.padEnd << " on axis "
                           << axisName(axis);
    if (!dimsAgree(output.getDimSize(2 + axis), expected))
      return emitOpError() << "expects output " << axisName(axis) << " = "
                           << expected << ", got "
                           << output.getDimSize(2 + axis);
  }
  return success();
}

bool Conv2DOp::isSpatialOperand(unsigned operand) { return operand == 0; }

AxisRule Conv2DOp::getAxisRule(unsigned axis) {
  AxisRule rule;
  rule.kind = AxisRule::Kind::Window;
  rule.window = getWindowAxis(axis);
  rule.border = BorderRule::Zero;
  return rule;
}

//===----------------------------------------------------------------------===//
// ConvTranspose2DOp
//===----------------------------------------------------------------------===//

WindowAxis ConvTranspose2DOp::getWindowAxis(unsigned axis) {
  return convWindowAxis(*this, axis);
}

LogicalResult ConvTranspose2DOp::verify() {
  if (failed(
          verifyWindowLists(*this, getStrides(), getDilations(), getPads())) ||
      failed(
          verifyIntList(*this, "output_padding", getOutputPadding(), 2, 0)) ||
      failed(verifyStaticWeight(*this)))
    return failure();
  RankedTensorType input = getInput().getType();
  RankedTensorType weight = getWeight().getType();
  RankedTensorType output = getOutput().getType();
  int64_t groups = getGroups();
  int64_t filters = weight.getDimSize(1) * groups;
  if (weight.getDimSize(0) % groups != 0)
    return emitOpError() << "expects the weight's " << weight.getDimSize(0)
                         << " input channels to divide into " << groups
                         << " groups";
  if (!dimsAgree(input.getDimSize(1), weight.getDimSize(0)))
    return emitOpError() << "expects " << weight.getDimSize(0)
                         << " input channels, got " << input.getDimSize(1);
  if (failed(verifyConvOperands(*this, filters)))
    return failure();
  for (unsigned axis = 0; axis < 2; ++axis) {
    WindowAxis w = getWindowAxis(axis);
    int64_t outputPadding = getOutputPadding()[axis];
    if (outputPadding >= std::max(w.stride, w.dilation))
      return emitOpError() << "expects output_padding below the stride or "
                              "the dilation on axis "
                           << axisName(axis) << ", got " << outputPadding;
    int64_t inSize = input.getDimSize(2 + axis);
    if (ShapedType::isDynamic(inSize))
      continue;
    int64_t expected = transposedOutputSize(inSize, w, outputPadding);
    if (expected < 1)
      return emitOpError() << "pads crop the whole output on axis "
                           << axisName(axis);
    if (!dimsAgree(output.getDimSize(2 + axis), expected))
      return emitOpError() << "expects output " << axisName(axis) << " = "
                           << expected << ", got "
                           << output.getDimSize(2 + axis);
  }
  return success();
}

bool ConvTranspose2DOp::isSpatialOperand(unsigned operand) {
  return operand == 0;
}

AxisRule ConvTranspose2DOp::getAxisRule(unsigned axis) {
  AxisRule rule;
  rule.kind = AxisRule::Kind::Transposed;
  rule.window = getWindowAxis(axis);
  rule.outputPadding = getOutputPadding()[axis];
  rule.border = BorderRule::Zero;
  return rule;
}

//===----------------------------------------------------------------------===//
// Gradient rules: dx needs the weight, dW the input; db needs neither.
//===----------------------------------------------------------------------===//

bool Conv2DOp::vjpReadsOperand(unsigned operand) { return operand < 2; }

bool ConvTranspose2DOp::vjpReadsOperand(unsigned operand) {
  return operand < 2;
}

} // namespace sstep
