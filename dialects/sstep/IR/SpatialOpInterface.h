//===- SpatialOpInterface.h - Window rules, non-locality --------*- C++ -*-===//

#ifndef SSTEP_DIALECTS_SSTEP_IR_SPATIALOPINTERFACE_H
#define SSTEP_DIALECTS_SSTEP_IR_SPATIALOPINTERFACE_H

#include "dialects/sstep/IR/AxisRule.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"

namespace sstep {

/// Whether `type` is an NCHW image: a 4-D tensor that is not broadcast over
/// space (its H and W are not both statically 1).
inline bool isImageType(mlir::Type type) {
  auto tensor = mlir::dyn_cast<mlir::RankedTensorType>(type);
  return tensor && tensor.getRank() == 4 &&
         !(tensor.getDimSize(2) == 1 && tensor.getDimSize(3) == 1);
}

/// Whether `op` reads a whole spatial axis of an image operand as configured
/// (see NonLocalOpInterface); defined below, used by the interface's
/// defaults.
inline bool isNonLocal(mlir::Operation *op);

} // namespace sstep

#include "dialects/sstep/IR/SpatialOpInterface.h.inc"

namespace sstep {

inline bool isNonLocal(mlir::Operation *op) {
  auto nonLocal = mlir::dyn_cast<NonLocalOpInterface>(op);
  return nonLocal && nonLocal.isNonLocal();
}

/// The window rule of `op`: its SpatialOpInterface when it has one and is
/// local with its attributes, else null. Planners ask this, not the
/// interface alone, so that `softmax` over H never claims the identity rule.
inline SpatialOpInterface getWindowRule(mlir::Operation *op) {
  auto spatial = mlir::dyn_cast<SpatialOpInterface>(op);
  return spatial && !isNonLocal(op) ? spatial : SpatialOpInterface();
}

} // namespace sstep

#endif // SSTEP_DIALECTS_SSTEP_IR_SPATIALOPINTERFACE_H
