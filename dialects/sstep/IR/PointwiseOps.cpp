//===- PointwiseOps.cpp - Pointwise ops of the sstep dialect --------------===//

#include "dialects/sstep/IR/SStepOps.h"

using namespace mlir;

namespace sstep {

LogicalResult ClipOp::verify() {
  if (getMin().convertToFloat() > getMax().convertToFloat())
    return emitOpError() << "expects min <= max, got ["
                         << getMin().convertToFloat() << ", "
                         << getMax().convertToFloat() << "]";
  return success();
}

} // namespace sstep
