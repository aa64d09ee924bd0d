//===- Tensor.h - Dense float32 tensors of the runtime -----------*- C++
//-*-===//
//
// What flows between kernels: a row-major (C order) float32 array and its
// shape. Feature maps are NCHW. Deliberately plain, so every backend and test
// can read it without an adapter.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CORE_TENSOR_H
#define SSTEP_RUNTIME_CORE_TENSOR_H

#include "runtime/core/BufferPool.h"

#include <cstdint>
#include <string>
#include <vector>

namespace sstep {

using Shape = std::vector<int64_t>;

/// A tensor's elements; large ones come from the process's BufferPool.
using FloatBuffer = std::vector<float, PooledAllocator<float>>;

/// Number of elements of a fully known shape.
int64_t numElements(const Shape &shape);

/// "1x64x?x?" style, -1 printed as '?'.
std::string formatShape(const Shape &shape);

struct Tensor {
  Shape shape;
  FloatBuffer data;

  Tensor() = default;
  explicit Tensor(Shape s, float fill = 0.0f)
      : shape(std::move(s)), data(numElements(shape), fill) {}
  Tensor(Shape s, FloatBuffer values)
      : shape(std::move(s)), data(std::move(values)) {}

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t dim(int64_t i) const { return shape[i < 0 ? i + rank() : i]; }
  int64_t size() const { return static_cast<int64_t>(data.size()); }
};

/// Row-major strides of `shape`, in elements.
std::vector<int64_t> stridesOf(const Shape &shape);

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_TENSOR_H
