//===- SpatialOpInterface.cpp - Window rules of spatial ops ---------------===//

#include "dialects/sstep/IR/SpatialOpInterface.h"

#include "dialects/sstep/IR/SpatialOpInterface.cpp.inc"
