//===- SStepOps.h - Ops of the sstep dialect --------------------*- C++ -*-===//

#ifndef SSTEP_DIALECTS_SSTEP_IR_SSTEPOPS_H
#define SSTEP_DIALECTS_SSTEP_IR_SSTEPOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Traits.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/sstep/IR/DifferentiableOpInterface.h"
#include "dialects/sstep/IR/SStepDialect.h"
#include "dialects/sstep/IR/SpatialOpInterface.h"

#define GET_OP_CLASSES
#include "dialects/sstep/IR/SStepOps.h.inc"

#endif // SSTEP_DIALECTS_SSTEP_IR_SSTEPOPS_H
