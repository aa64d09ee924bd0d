/*===- KernelAbi.h - What the runtime passes a generated CUDA kernel
-------===//
//
// Shared, as text, by the runtime (host C++) and the kernels the compiler
// generates (CUDA C++, which embeds this file): plain C structs only. A
// kernel takes one SStepArgs by value and computes `count` elements of its
// output block; every block is NHWC in the plan's storage type, placed in
// its value's image by (y0, x0).
//
//===----------------------------------------------------------------------===*/

#ifndef SSTEP_RUNTIME_CUDA_KERNELABI_H
#define SSTEP_RUNTIME_CUDA_KERNELABI_H

#define SSTEP_MAX_KERNEL_INPUTS 8

struct SStepBlock {
  void *data;
  long long y0, x0;     /* image coordinates of the first row and column */
  long long rows, cols; /* the block's extent */
  long long batch, channels;
  long long imageH, imageW; /* the value's whole image */
};

struct SStepArgs {
  struct SStepBlock out;
  struct SStepBlock in[SSTEP_MAX_KERNEL_INPUTS];
  long long count; /* out.batch * out.rows * out.cols * out.channels */
};

#endif /* SSTEP_RUNTIME_CUDA_KERNELABI_H */
