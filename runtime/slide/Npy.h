//===- Npy.h - NumPy .npy files of float32 tensors ---------------*- C++
//-*-===//
//
// The exchange format with Python for small tensors (NCHW inputs, outputs,
// test vectors): little-endian float32, C order, format versions 1 and 2.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_NPY_H
#define SSTEP_RUNTIME_SLIDE_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace sstep::slide {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// Writes `data` (product of `shape` floats) to `path` through `path.part`.
/// Throws SlideError.
void writeNpy(const std::string &path, const std::vector<int64_t> &shape,
              const float *data);

/// Reads a '<f4' C-order array; anything else throws SlideError naming why.
NpyArray readNpy(const std::string &path);

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_NPY_H
