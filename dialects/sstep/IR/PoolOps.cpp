//===- PoolOps.cpp - Pooling ops of the sstep dialect ---------------------===//

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

using namespace mlir;

namespace sstep {
namespace {

template <typename PoolOp> WindowAxis poolWindowAxis(PoolOp op, unsigned axis) {
  assert(axis < 2 && "pools have two spatial axes");
  WindowAxis w;
  w.kernel = op.getKernel()[axis];
  w.stride = op.getStrides()[axis];
  w.dilation = op.getDilations()[axis];
  w.padBegin = op.getPads()[axis];
  w.padEnd = op.getPads()[2 + axis];
  return w;
}

template <typename PoolOp> LogicalResult verifyPool(PoolOp op) {
  if (failed(verifyIntList(op, "kernel", op.getKernel(), 2, 1)) ||
      failed(verifyWindowLists(op, op.getStrides(), op.getDilations(),
                               op.getPads())))
    return failure();
  RankedTensorType input = op.getInput().getType();
  RankedTensorType output = op.getOutput().getType();
  if (failed(verifyBatchAndChannels(op, input, output)))
    return failure();
  for (unsigned axis = 0; axis < 2; ++axis) {
    WindowAxis w = op.getWindowAxis(axis);
    // A pad as wide as the window would make windows that see no pixel.
    if (w.padBegin >= w.extent() || w.padEnd >= w.extent())
      return op.emitOpError() << "expects pads smaller than the window extent "
                              << w.extent() << " on axis " << axisName(axis);
    int64_t inSize = input.getDimSize(2 + axis);
    if (ShapedType::isDynamic(inSize))
      continue;
    int64_t expected = windowOutputSize(inSize, w, op.getCeilMode());
    if (expected < 1)
      return op.emitOpError()
             << "window extent " << w.extent()
             << " exceeds the padded input size "
             << inSize + w.padBegin + w.padEnd << " on axis " << axisName(axis);
    if (!dimsAgree(output.getDimSize(2 + axis), expected))
      return op.emitOpError()
             << "expects output " << axisName(axis) << " = " << expected
             << ", got " << output.getDimSize(2 + axis);
  }
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// MaxPool2DOp
//===----------------------------------------------------------------------===//

WindowAxis MaxPool2DOp::getWindowAxis(unsigned axis) {
  return poolWindowAxis(*this, axis);
}

LogicalResult MaxPool2DOp::verify() { return verifyPool(*this); }

bool MaxPool2DOp::isSpatialOperand(unsigned operand) { return operand == 0; }

AxisRule MaxPool2DOp::getAxisRule(unsigned axis) {
  AxisRule rule;
  rule.kind = AxisRule::Kind::Window;
  rule.window = getWindowAxis(axis);
  rule.ceilMode = getCeilMode();
  rule.border = BorderRule::NegInfinity;
  return rule;
}

//===----------------------------------------------------------------------===//
// AvgPool2DOp
//===----------------------------------------------------------------------===//

WindowAxis AvgPool2DOp::getWindowAxis(unsigned axis) {
  return poolWindowAxis(*this, axis);
}

LogicalResult AvgPool2DOp::verify() {
  if (llvm::any_of(getDilations(), [](int64_t d) { return d != 1; }))
    return emitOpError("does not support dilation");
  return verifyPool(*this);
}

bool AvgPool2DOp::isSpatialOperand(unsigned operand) { return operand == 0; }

AxisRule AvgPool2DOp::getAxisRule(unsigned axis) {
  AxisRule rule;
  rule.kind = AxisRule::Kind::Window;
  rule.window = getWindowAxis(axis);
  rule.ceilMode = getCeilMode();
  rule.border = getCountIncludePad() ? BorderRule::Zero : BorderRule::Excluded;
  return rule;
}

//===----------------------------------------------------------------------===//
// Global pools
//===----------------------------------------------------------------------===//

template <typename GlobalPoolOp>
static LogicalResult verifyGlobalPool(GlobalPoolOp op) {
  RankedTensorType input = op.getInput().getType();
  RankedTensorType output = op.getOutput().getType();
  if (failed(verifyBatchAndChannels(op, input, output)))
    return failure();
  if (output.getDimSize(2) != 1 || output.getDimSize(3) != 1)
    return op.emitOpError("expects an output of spatial size 1x1, got ")
           << output;
  return success();
}

LogicalResult GlobalAvgPool2DOp::verify() { return verifyGlobalPool(*this); }

LogicalResult GlobalMaxPool2DOp::verify() { return verifyGlobalPool(*this); }

llvm::StringRef GlobalAvgPool2DOp::getTileReduction() { return "mean"; }

llvm::StringRef GlobalMaxPool2DOp::getTileReduction() { return "max"; }

LogicalResult ReduceOp::verify() {
  StringRef kind = getKind();
  if (kind != "mean" && kind != "sum" && kind != "max" && kind != "min")
    return emitOpError() << "kind must be mean, sum, max or min, got '" << kind
                         << "'";
  if (getInput().getType().getElementType() !=
      getOutput().getType().getElementType())
    return emitOpError("expects input and output of one element type");
  return verifyResultShape(*this,
                           shape::reduce(dimsOf(getInput().getType()),
                                         shape::Dims(getAxes()), getKeepdims()),
                           getOutput().getType());
}

bool ReduceOp::isNonLocal() {
  // Channels of an image, kept as one channel: each pixel reduces its own.
  return !(getInput().getType().getRank() == 4 && getKeepdims() &&
           getAxes() == ArrayRef<int64_t>{1});
}

// Over all of H and W of an image, keeping them as 1 x 1, sums, means and
// maxima combine from tiles' partial results like global pools.
bool ReduceOp::vjpReadsOperand(unsigned) {
  return getKind() == "max" || getKind() == "min";
}
bool ReduceOp::vjpReadsResult() {
  return getKind() == "max" || getKind() == "min";
}

llvm::StringRef ReduceOp::getTileReduction() {
  StringRef kind = getKind();
  bool space = getInput().getType().getRank() == 4 && getKeepdims() &&
               getAxes() == ArrayRef<int64_t>{2, 3};
  return space && kind != "min" ? kind : "";
}

// A maximum's gradient goes where the maximum is: the input and the result.
bool GlobalMaxPool2DOp::vjpReadsResult() { return true; }

// A mean's gradient spreads dy by the plane's pixels, known from its shape.
bool GlobalAvgPool2DOp::vjpReadsOperand(unsigned) { return false; }

// An average's gradient spreads dy by the window's divisor, which depends on
// the geometry only.
bool AvgPool2DOp::vjpReadsOperand(unsigned) { return false; }

} // namespace sstep
