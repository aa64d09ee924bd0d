//===- Arrays.cpp - numpy arrays and runtime tensors, without copies ------===//

#include "python/src/Arrays.h"
#include "runtime/core/RuntimeError.h"

#include <cstring>

namespace py = pybind11;

namespace sstep::python {

py::array_t<float> toArray(Tensor tensor) {
  auto *owner = new Tensor(std::move(tensor));
  py::capsule base(owner, [](void *p) { delete static_cast<Tensor *>(p); });
  std::vector<py::ssize_t> shape(owner->shape.begin(), owner->shape.end());
  return py::array_t<float>(shape, owner->data.data(), base);
}

py::array_t<uint8_t> toArray(std::vector<uint8_t> pixels, int64_t height,
                             int64_t width) {
  auto *owner = new std::vector<uint8_t>(std::move(pixels));
  py::capsule base(
      owner, [](void *p) { delete static_cast<std::vector<uint8_t> *>(p); });
  return py::array_t<uint8_t>(
      {py::ssize_t(height), py::ssize_t(width), py::ssize_t(3)}, owner->data(),
      base);
}

Tensor toTensor(const FloatArray &array) {
  Shape shape(array.shape(), array.shape() + array.ndim());
  Tensor t(shape);
  if (array.size() > 0)
    std::memcpy(t.data.data(), array.data(),
                size_t(array.size()) * sizeof(float));
  return t;
}

ArraySource::ArraySource(FloatArray array)
    : array_(std::move(array)),
      shape_(array_.shape(), array_.shape() + array_.ndim()),
      data_(array_.data()) {
  if (shape_.size() != 4)
    throw RuntimeError("a tiled input must be an NCHW array, not of shape " +
                       formatShape(shape_));
}

Tensor ArraySource::read(const Region &region) {
  int64_t planes = shape_[0] * shape_[1], h = shape_[2], w = shape_[3];
  int64_t rows = region.axes[0].size(), cols = region.axes[1].size();
  Tensor out({shape_[0], shape_[1], rows, cols});
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t y = 0; y < rows; ++y)
      std::memcpy(&out.data[size_t((p * rows + y) * cols)],
                  data_ + (p * h + region.axes[0].lo + y) * w +
                      region.axes[1].lo,
                  size_t(cols) * sizeof(float));
  return out;
}

} // namespace sstep::python
