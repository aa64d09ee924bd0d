//===- SStepDialect.h - The sstep dialect -----------------------*- C++ -*-===//

#ifndef SSTEP_DIALECTS_SSTEP_IR_SSTEPDIALECT_H
#define SSTEP_DIALECTS_SSTEP_IR_SSTEPDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/sstep/IR/SStepDialect.h.inc"

#endif // SSTEP_DIALECTS_SSTEP_IR_SSTEPDIALECT_H
