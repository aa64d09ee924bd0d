//===- KernelModule.h - Kernels the compiler generated for a target -*- C++
//-*-===//
//
// For `--target=cuda` the compiler writes CUDA C++ for every fused chain of
// element-wise ops, every pooling, padding, resize and concatenation of the
// tile nodes, compiles it ahead of time with nvcc into one fatbin, and hands
// it to the runtime beside the Program. The runtime runs each kernel in place
// of the nodes it lists; nodes no kernel lists (convolutions, which cuDNN
// runs, and ops the generator has no rule for) it runs itself.
//
// Example: ResNet's `conv -> add(., identity) -> relu` becomes cuDNN's
// convolution and one "epilogue" kernel {nodes = {conv, add, relu},
// inputs = {conv's result, identity}} adding the bias and the identity and
// applying the ReLU in one pass over the block.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CORE_KERNELMODULE_H
#define SSTEP_RUNTIME_CORE_KERNELMODULE_H

#include <string>
#include <vector>

namespace sstep {

struct GeneratedKernel {
  /// The kernel's symbol in the fatbin ("sstep_k7").
  std::string symbol;
  /// "epilogue" (its first node is a convolution the runtime runs first,
  /// whose raw result, without bias, is inputs[0]), "elementwise", "window"
  /// (pool, pad, resize) or "concat".
  std::string kind;
  /// The nodes it computes, in order; it produces the last one's result.
  std::vector<int> nodes;
  /// The image values it reads, in the order of its block arguments.
  std::vector<int> inputs;
};

struct KernelModule {
  /// "cuda"; empty when the plan carries no generated code.
  std::string target;
  /// The storage type of every block: "fp32", "fp16" or "bf16".
  std::string precision;
  /// The architectures the image holds code for ("sm_80,sm_90").
  std::string architectures;
  /// The compiled image (a CUDA fatbin).
  std::string image;
  std::vector<GeneratedKernel> kernels;

  bool empty() const { return target.empty(); }
};

/// The largest number of block arguments a generated kernel takes; the
/// runtime's argument struct has this many input slots.
inline constexpr int kMaxKernelInputs = 8;

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_KERNELMODULE_H
