//===- DifferentiableOpInterface.cpp - Gradient rules ---------------------===//

#include "dialects/sstep/IR/DifferentiableOpInterface.h"

#include "dialects/sstep/IR/DifferentiableOpInterface.cpp.inc"
