//===- SpatialOpInterface.cpp - Window rules, non-locality ----------------===//

#include "dialects/sstep/IR/SpatialOpInterface.h"

#include "dialects/sstep/IR/SpatialOpInterface.cpp.inc"
