//===- Arrays.cpp - numpy arrays and runtime tensors, without copies ------===//

#include "python/src/Arrays.h"
#include "runtime/core/RuntimeError.h"

#include <cstring>
#include <stdexcept>

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

bool isByteArray(const py::handle &x) {
  return py::isinstance<py::array>(x) &&
         py::reinterpret_borrow<py::array>(x).dtype().is(
             py::dtype::of<uint8_t>());
}

Normalization normalizationOf(const py::object &normalize,
                              const std::vector<py::object> &inputs) {
  if (normalize.is_none())
    return Normalization();
  bool bytes = false;
  for (const py::object &x : inputs)
    bytes = bytes || isByteArray(x);
  if (!bytes)
    throw py::value_error("normalize applies to uint8 inputs; this input is "
                          "float32 already");
  try {
    return Normalization::parse(normalize.cast<std::string>());
  } catch (const std::invalid_argument &e) {
    throw py::value_error(std::string("normalize: ") + e.what());
  }
}

ByteArraySource::ByteArraySource(ByteArray array,
                                 const Normalization &normalization)
    : array_(std::move(array)),
      shape_(array_.shape(), array_.shape() + array_.ndim()),
      data_(array_.data()) {
  if (shape_.size() != 4)
    throw RuntimeError("a uint8 input must be an NCHW array, not of shape " +
                       formatShape(shape_));
  const bool identity = normalization.identity();
  if (shape_[1] > 3 && !identity)
    throw RuntimeError("a normalization has 3 channels; this uint8 input " +
                       formatShape(shape_) + " has " +
                       std::to_string(shape_[1]));
  for (int64_t c = 0; c < shape_[1]; ++c)
    table_.push_back(normalization.table(identity ? 0 : int(c)));
}

Tensor ByteArraySource::read(const Region &region) {
  int64_t n = shape_[0], c = shape_[1], h = shape_[2], w = shape_[3];
  int64_t rows = region.axes[0].size(), cols = region.axes[1].size();
  Tensor out({n, c, rows, cols});
  for (int64_t p = 0; p < n * c; ++p) {
    const std::array<float, 256> &table = table_[size_t(p % c)];
    for (int64_t y = 0; y < rows; ++y) {
      const uint8_t *from =
          data_ + (p * h + region.axes[0].lo + y) * w + region.axes[1].lo;
      float *to = &out.data[size_t((p * rows + y) * cols)];
      for (int64_t x = 0; x < cols; ++x)
        to[x] = table[from[x]];
    }
  }
  return out;
}

} // namespace sstep::python
