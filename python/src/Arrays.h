//===- Arrays.h - numpy arrays and runtime tensors, without copies -*- C++
//-*-===//
//
// A returned array owns the runtime's buffer: the tensor moves into a
// capsule that the array keeps as its base, so nothing is copied at the
// boundary. An input array is read in place: the runtime reads each tile's
// window (the whole image when a run is not tiled) straight from the
// caller's buffer into its own input block (ArraySource); only inputs that
// a node reads whole (a resize's size source) are copied first.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_PYTHON_ARRAYS_H
#define SSTEP_PYTHON_ARRAYS_H

#include "runtime/core/Normalization.h"
#include "runtime/core/Region.h"
#include "runtime/core/Tensor.h"
#include "runtime/exec/Executor.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <array>
#include <cstdint>
#include <vector>

namespace sstep::python {

using FloatArray = pybind11::array_t<float, pybind11::array::c_style |
                                                pybind11::array::forcecast>;

/// An array viewing `tensor`'s data, which moves into the array's base.
pybind11::array_t<float> toArray(Tensor tensor);

/// An array viewing `pixels` (height x width x 3 bytes), moved into its base.
pybind11::array_t<uint8_t> toArray(std::vector<uint8_t> pixels, int64_t height,
                                   int64_t width);

/// A copy of `array` as a tensor.
Tensor toTensor(const FloatArray &array);

/// An NCHW float32 array read one window at a time, in place. The array
/// must stay alive and unchanged while the run reads it.
class ArraySource : public exec::InputSource {
public:
  explicit ArraySource(FloatArray array);
  Shape shape() const override { return shape_; }
  Tensor read(const Region &region) override;
  /// The address of the first element, which reads come from.
  const float *data() const { return data_; }

private:
  FloatArray array_;
  Shape shape_;
  const float *data_;
};

using ByteArray = pybind11::array_t<uint8_t, pybind11::array::c_style>;

/// Whether `x` is a numpy array of bytes (uint8), which a run normalizes
/// one window at a time instead of taking float32 values.
bool isByteArray(const pybind11::handle &x);

/// `normalize` (None: "none"; or Normalization::parse's text) for the
/// byte arrays among `inputs`; raises ValueError for bad text, or for a
/// normalization given where no input is uint8.
Normalization normalizationOf(const pybind11::object &normalize,
                              const std::vector<pybind11::object> &inputs);

/// An NCHW uint8 array read one window at a time, in place, each byte
/// normalized as a slide's are (core/Normalization.h): a float32 copy of
/// a whole slide-sized image is never made.
class ByteArraySource : public exec::InputSource {
public:
  ByteArraySource(ByteArray array, const Normalization &normalization);
  Shape shape() const override { return shape_; }
  Tensor read(const Region &region) override;
  const uint8_t *data() const { return data_; }

private:
  ByteArray array_;
  Shape shape_;
  const uint8_t *data_;
  /// Per channel, the value of each byte.
  std::vector<std::array<float, 256>> table_;
};

} // namespace sstep::python

#endif // SSTEP_PYTHON_ARRAYS_H
