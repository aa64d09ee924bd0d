//===- KernelGrouping.h - Which tile nodes each CUDA kernel computes -*- C++
//-*-===//
//
// The first half of CUDA code generation: it decides the kernels, the
// second (EmitCuda.h) writes them. A convolution (run by cuDNN) and the
// element-wise nodes after it form one "epilogue" kernel; an element-wise
// node not after a convolution starts an "elementwise" kernel that the
// element-wise nodes after it join; pooling, padding and resize are each a
// "window" kernel, a channel concatenation a "concat" kernel. A node joins
// the kernel before it only when it is the sole reader of that kernel's
// result and the result is not stored (a sink, an output), so no value a
// kernel swallows is ever asked for. Nodes of no kernel run in the runtime.
//
// Example: `conv -> add(., x) -> relu -> max_pool2d` gives
//   {kind = epilogue, nodes = {conv, add, relu}, inputs = {conv, x}}
//   {kind = window,   nodes = {max_pool2d},      inputs = {relu}}
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_COMPILER_CUDACODEGEN_KERNELGROUPING_H
#define SSTEP_COMPILER_CUDACODEGEN_KERNELGROUPING_H

#include "runtime/core/Program.h"

#include <vector>

namespace sstep::cuda {

/// The kernels for `program`'s tile nodes, named sstep_k0, sstep_k1, ...
std::vector<GeneratedKernel> groupKernels(const Program &program);

/// Whether the generator has an element-wise rule for `node` (its image
/// operands share the output's spatial size; others are small constants or
/// per-channel globals).
bool isElementwise(const Node &node, const Program &program);

/// Whether `node` reads `value` as an image (else as a whole, global
/// tensor, which a kernel gets as a 1x1 block at the origin).
bool isImageOperand(const Node &node, int value);

} // namespace sstep::cuda

#endif // SSTEP_COMPILER_CUDACODEGEN_KERNELGROUPING_H
