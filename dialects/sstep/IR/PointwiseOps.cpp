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

} // namespace sstep
