//===- SpatialOpInterface.h - Window rules of spatial ops -------*- C++ -*-===//

#ifndef SSTEP_DIALECTS_SSTEP_IR_SPATIALOPINTERFACE_H
#define SSTEP_DIALECTS_SSTEP_IR_SPATIALOPINTERFACE_H

#include "dialects/sstep/IR/SpatialRules.h"
#include "mlir/IR/OpDefinition.h"

#include "dialects/sstep/IR/SpatialOpInterface.h.inc"

#endif // SSTEP_DIALECTS_SSTEP_IR_SPATIALOPINTERFACE_H
