//===- WholeTensorOps.h - Nodes run once, on oneDNN -------------*- C++ -*-===//
//
// The cpu backend's runOnce: matmuls, Gemms, softmax, layer norm, binaries
// and element-wise functions of whole tensors (a ViT's token matrices) on
// oneDNN in row-major layouts. Example: a 197 x 768 token matrix times a
// 768 x 2304 weight is one oneDNN matmul.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CPU_WHOLETENSOROPS_H
#define SSTEP_RUNTIME_CPU_WHOLETENSOROPS_H

#include "runtime/core/Program.h"
#include "runtime/cpu/Blocks.h"

#include <optional>

namespace sstep::cpu {

/// `node` on oneDNN, or nothing when oneDNN has no primitive for its op,
/// attributes or shapes (the caller runs the reference kernel). `program`
/// (may be null) names constant operands for element-wise ops.
std::optional<Tensor> runWholeTensorOp(Device &device, const Program *program,
                                       const Node &node,
                                       const std::vector<const Tensor *> &in);

} // namespace sstep::cpu

#endif // SSTEP_RUNTIME_CPU_WHOLETENSOROPS_H
