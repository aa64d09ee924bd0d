//===- Interpreter.h - Runs a Program with the reference kernels -*- C++
//-*-===//
//
// The oracle every other backend and every tiled plan is checked against:
// nodes run one after the other on whole tensors, and a value is freed after
// its last use.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_REFERENCE_INTERPRETER_H
#define SSTEP_RUNTIME_REFERENCE_INTERPRETER_H

#include "runtime/core/Program.h"

#include <vector>

namespace sstep::reference {

/// Runs `program` on `inputs` (one per program input, in order) and returns
/// its outputs in order. Throws RuntimeError naming the input or node for a
/// shape that does not fit or an op without a kernel.
std::vector<Tensor> run(const Program &program, std::vector<Tensor> inputs);

/// Throws RuntimeError unless `tensor` fits the declared `info` (same rank,
/// equal static dimensions).
void checkInput(const ValueInfo &info, const Tensor &tensor);

} // namespace sstep::reference

#endif // SSTEP_RUNTIME_REFERENCE_INTERPRETER_H
