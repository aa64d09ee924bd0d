//===- SStepOps.cpp - Ops of the sstep dialect ----------------------------===//
//
// The generated op definitions; each op family's hand-written parts live in
// its own file (ConvOps.cpp, PoolOps.cpp, PointwiseOps.cpp, TensorOps.cpp,
// MatrixOps.cpp, NormOps.cpp).
//
//===----------------------------------------------------------------------===//

#include "dialects/sstep/IR/SStepOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#define GET_OP_CLASSES
#include "dialects/sstep/IR/SStepOps.cpp.inc"
