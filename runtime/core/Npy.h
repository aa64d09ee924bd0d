//===- Npy.h - NumPy .npy files of float32 tensors --------------*- C++ -*-===//
//
// The exchange format with Python for small tensors (NCHW inputs, outputs,
// test vectors): little-endian float32, C order, format versions 1 and 2.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CORE_NPY_H
#define SSTEP_RUNTIME_CORE_NPY_H

#include "runtime/core/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace sstep {

/// Writes `data` (product of `shape` floats) to `path` through `path.part`.
/// Throws RuntimeError naming the file.
void writeNpy(const std::string &path, const std::vector<int64_t> &shape,
              const float *data);

/// Reads a '<f4' C-order array; anything else throws RuntimeError
/// naming the file and why.
Tensor readNpy(const std::string &path);

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_NPY_H
