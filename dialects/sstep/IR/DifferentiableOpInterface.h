//===- DifferentiableOpInterface.h - Gradient rules -------------*- C++ -*-===//

#ifndef SSTEP_DIALECTS_SSTEP_IR_DIFFERENTIABLEOPINTERFACE_H
#define SSTEP_DIALECTS_SSTEP_IR_DIFFERENTIABLEOPINTERFACE_H

#include "mlir/IR/OpDefinition.h"

#include "dialects/sstep/IR/DifferentiableOpInterface.h.inc"

#endif // SSTEP_DIALECTS_SSTEP_IR_DIFFERENTIABLEOPINTERFACE_H
