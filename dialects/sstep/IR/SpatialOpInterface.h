//===- SpatialOpInterface.h - Window rules of spatial ops -------*- C++ -*-===//

#ifndef SSTEP_DIALECTS_SSTEP_IR_SPATIALOPINTERFACE_H
#define SSTEP_DIALECTS_SSTEP_IR_SPATIALOPINTERFACE_H

#include "dialects/sstep/IR/SpatialRules.h"
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

} // namespace sstep

#include "dialects/sstep/IR/SpatialOpInterface.h.inc"

#endif // SSTEP_DIALECTS_SSTEP_IR_SPATIALOPINTERFACE_H
