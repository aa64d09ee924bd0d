//===- Passes.h - SSTEP compiler passes -------------------------*- C++ -*-===//

#ifndef SSTEP_COMPILER_PASSES_H
#define SSTEP_COMPILER_PASSES_H

#include "dialects/sstep/IR/SStepDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace sstep {

#define GEN_PASS_DECL
#include "compiler/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/Passes.h.inc"

} // namespace sstep

#endif // SSTEP_COMPILER_PASSES_H
