//===- MatrixOps.cpp - Matrix products of the sstep dialect ---------------===//

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

using namespace mlir;

namespace sstep {

LogicalResult GemmOp::verify() {
  Type element = getA().getType().getElementType();
  if (getB().getType().getElementType() != element ||
      getOutput().getType().getElementType() != element ||
      (getC() && getElementTypeOrSelf(getC()) != element))
    return emitOpError("expects a, b, c and output of one element type");
  shape::Result product =
      shape::gemm(dimsOf(getA().getType()), dimsOf(getB().getType()),
                  getTransA(), getTransB());
  if (failed(verifyResultShape(*this, product, getOutput().getType())))
    return failure();
  if (!getC())
    return success();
  return verifyShapeRule(
      *this, "expects c to broadcast to the result",
      shape::broadcastTo(dimsOf(cast<ShapedType>(getC().getType())),
                         product.dims));
}

LogicalResult MatMulOp::verify() {
  Type element = getLhs().getType().getElementType();
  if (getRhs().getType().getElementType() != element ||
      getOutput().getType().getElementType() != element)
    return emitOpError("expects operands and result of one element type");
  return verifyResultShape(
      *this,
      shape::matmul(dimsOf(getLhs().getType()), dimsOf(getRhs().getType())),
      getOutput().getType());
}

} // namespace sstep
