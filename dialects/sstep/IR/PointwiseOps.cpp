//===- PointwiseOps.cpp - Pointwise ops of the sstep dialect --------------===//

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

using namespace mlir;

namespace sstep {

LogicalResult ClipOp::verify() {
  if (getMin().convertToFloat() > getMax().convertToFloat())
    return emitOpError() << "expects min <= max, got ["
                         << getMin().convertToFloat() << ", "
                         << getMax().convertToFloat() << "]";
  return success();
}

LogicalResult PReluOp::verify() {
  if (getSlope().getType().getElementType() !=
      getInput().getType().getElementType())
    return emitOpError("expects input and slope of one element type");
  return verifyShapeRule(*this, "expects the slope to broadcast to the input",
                         shape::broadcastTo(dimsOf(getSlope().getType()),
                                            dimsOf(getInput().getType())));
}

//===----------------------------------------------------------------------===//
// Gradient rules. relu's derivative is read off its result (y > 0 exactly
// where x > 0), so a backward pass keeps y, which its consumer needs anyway,
// and not x. Sums pass the gradient on and read nothing.
//===----------------------------------------------------------------------===//

bool ReluOp::vjpReadsOperand(unsigned) { return false; }
bool ReluOp::vjpReadsResult() { return true; }
bool AddOp::vjpReadsOperand(unsigned) { return false; }
bool SubOp::vjpReadsOperand(unsigned) { return false; }

} // namespace sstep
