//===- EmitUtil.h - Pieces of CUDA source shared by the emitters -*- C++
//-*-===//

#ifndef SSTEP_COMPILER_CUDACODEGEN_EMITUTIL_H
#define SSTEP_COMPILER_CUDACODEGEN_EMITUTIL_H

#include "runtime/core/Program.h"

#include <sstream>
#include <string>

namespace sstep::cuda {

/// A float literal that reads back as the same float ("0.5f"), or an exact
/// spelling of an infinity or NaN.
std::string literal(double value);

/// The index expression of output element (n, c) in block argument `k` of
/// a value of `shape`, broadcasting a batch or channel axis of 1.
std::string loadImage(int k, const Shape &shape, const char *y = "Y",
                      const char *x = "X");

/// The kernel's opening: the signature and the loop over output elements,
/// which defines n, c, Y and X (image coordinates) and i (the element).
void openKernel(std::ostringstream &os, const GeneratedKernel &kernel,
                const Program &program);
/// Stores float expression `value` to the output and closes the kernel.
void closeKernel(std::ostringstream &os, const std::string &value);

/// One window, pad, resize or concat kernel (EmitWindow.cpp).
void emitWindowKernel(std::ostringstream &os, const GeneratedKernel &kernel,
                      const Program &program);

} // namespace sstep::cuda

#endif // SSTEP_COMPILER_CUDACODEGEN_EMITUTIL_H
