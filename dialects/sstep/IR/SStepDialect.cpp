//===- SStepDialect.cpp - The sstep dialect -------------------------------===//

#include "dialects/sstep/IR/SStepDialect.h"
#include "dialects/sstep/IR/SStepOps.h"

#include "dialects/sstep/IR/SStepDialect.cpp.inc"

void sstep::SStepDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/sstep/IR/SStepOps.cpp.inc"
      >();
}
