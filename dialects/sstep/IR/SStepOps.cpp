//===- SStepOps.cpp - Ops of the sstep dialect ----------------------------===//

#include "dialects/sstep/IR/SStepOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace sstep {

/// Checks that `values` has `size` entries, each at least `min`.
static LogicalResult verifyIntList(Operation *op, StringRef name,
                                   ArrayRef<int64_t> values, size_t size,
                                   int64_t min) {
  if (values.size() != size)
    return op->emitOpError() << "expects '" << name << "' to have " << size
                             << " entries, got " << values.size();
  for (int64_t v : values)
    if (v < min)
      return op->emitOpError() << "expects every '" << name
                               << "' entry >= " << min << ", got " << v;
  return success();
}

/// Checks that two dims agree when both are known.
static bool dimsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

//===----------------------------------------------------------------------===//
// Conv2DOp
//===----------------------------------------------------------------------===//

WindowAxis Conv2DOp::getWindowAxis(unsigned axis) {
  assert(axis < 2 && "conv2d has two spatial axes");
  WindowAxis w;
  w.kernel = getWeight().getType().getDimSize(2 + axis);
  w.stride = getStrides()[axis];
  w.dilation = getDilations()[axis];
  w.padBegin = getPads()[axis];
  w.padEnd = getPads()[2 + axis];
  return w;
}

LogicalResult Conv2DOp::verify() {
  if (failed(verifyIntList(*this, "strides", getStrides(), 2, 1)) ||
      failed(verifyIntList(*this, "dilations", getDilations(), 2, 1)) ||
      failed(verifyIntList(*this, "pads", getPads(), 4, 0)))
    return failure();

  RankedTensorType input = getInput().getType();
  RankedTensorType weight = getWeight().getType();
  RankedTensorType output = getOutput().getType();
  if (!weight.hasStaticShape())
    return emitOpError("expects a weight of static shape, got ") << weight;

  Type elementType = input.getElementType();
  if (weight.getElementType() != elementType ||
      output.getElementType() != elementType ||
      (getBias() && getBias().getType().getElementType() != elementType))
    return emitOpError("expects input, weight, bias and output of one "
                       "element type");

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
  if (getBias() && !dimsAgree(getBias().getType().getDimSize(0), filters))
    return emitOpError() << "expects a bias of " << filters << " entries, got "
                         << getBias().getType().getDimSize(0);
  if (!dimsAgree(output.getDimSize(0), input.getDimSize(0)))
    return emitOpError("expects the output batch to equal the input batch");
  if (!dimsAgree(output.getDimSize(1), filters))
    return emitOpError() << "expects " << filters << " output channels, got "
                         << output.getDimSize(1);

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
                           << (axis == 0 ? "H" : "W");
    if (!dimsAgree(output.getDimSize(2 + axis), expected))
      return emitOpError() << "expects output " << (axis == 0 ? "H" : "W")
                           << " = " << expected << ", got "
                           << output.getDimSize(2 + axis);
  }
  return success();
}

bool Conv2DOp::isSpatialOperand(unsigned operand) { return operand == 0; }

Interval Conv2DOp::getInputInterval(unsigned operand, unsigned axis,
                                    Interval out) {
  assert(isSpatialOperand(operand) && "weights and bias are not spatial");
  return windowInputInterval(out, getWindowAxis(axis));
}

BorderRule Conv2DOp::getBorderRule(unsigned operand) {
  return BorderRule::Zero;
}

} // namespace sstep

#define GET_OP_CLASSES
#include "dialects/sstep/IR/SStepOps.cpp.inc"
