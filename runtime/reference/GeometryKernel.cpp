//===- GeometryKernel.cpp - Reference pad and resize
//-----------------------===//
//
// Both ops map each output coordinate to input coordinates independently per
// axis, so each builds a per-axis table first and then gathers.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Kernels.h"

#include <algorithm>
#include <cmath>

namespace sstep::reference {
namespace {

/// Input index of padded position `i` (may be outside [0, size)), or -1 for
/// the constant value.
int64_t padSource(int64_t i, int64_t size, const std::string &mode) {
  if (i >= 0 && i < size)
    return i;
  if (mode == "edge")
    return std::clamp<int64_t>(i, 0, size - 1);
  if (mode == "reflect") {
    if (size == 1)
      return 0;
    int64_t period = 2 * (size - 1);
    int64_t m = ((i % period) + period) % period;
    return m < size ? m : period - m;
  }
  return -1;
}

std::vector<Tensor> pad2d(const Node &node, const Operands &in) {
  const Tensor &x = *in[0];
  expectRank(node, x, 4, "input");
  const auto &pads = node.getInts("pads");
  const std::string &mode = node.getString("mode");
  float value = static_cast<float>(node.getFloat("value"));
  int64_t h = x.dim(2), w = x.dim(3);
  int64_t oh = h + pads[0] + pads[2], ow = w + pads[1] + pads[3];
  if (oh < 1 || ow < 1)
    throw RuntimeError(node.describe() + ": pads crop the whole " +
                       formatShape(x.shape) + " input");
  if (mode == "reflect" &&
      (std::max(pads[0], pads[2]) >= h || std::max(pads[1], pads[3]) >= w))
    throw RuntimeError(node.describe() +
                       ": reflect pads must be smaller than "
                       "the " +
                       formatShape(x.shape) + " input");
  std::vector<int64_t> rows(oh), cols(ow);
  for (int64_t y = 0; y < oh; ++y)
    rows[y] = padSource(y - pads[0], h, mode);
  for (int64_t c = 0; c < ow; ++c)
    cols[c] = padSource(c - pads[1], w, mode);
  Tensor out({x.dim(0), x.dim(1), oh, ow});
  for (int64_t p = 0; p < x.dim(0) * x.dim(1); ++p)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t c = 0; c < ow; ++c)
        out.data[(p * oh + y) * ow + c] =
            rows[y] < 0 || cols[c] < 0
                ? value
                : x.data[(p * h + rows[y]) * w + cols[c]];
  return {std::move(out)};
}

/// For one axis of a resize: per output index, two input indices and the
/// weight of the second (nearest: both indices equal).
struct AxisTable {
  std::vector<int64_t> lo, hi;
  std::vector<double> frac;
};

/// ONNX's coordinate transforms. The resized length is in * scale, not the
/// floored output size: the two differ for align_corners with a scale that
/// does not divide the size (ONNX's reference and test data use in * scale).
double sourceCoordinate(const std::string &mode, int64_t x, int64_t in,
                        int64_t out, double scale) {
  double resized = double(in) * scale;
  if (mode == "half_pixel")
    return (x + 0.5) / scale - 0.5;
  if (mode == "pytorch_half_pixel")
    return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (mode == "align_corners")
    return out == 1 ? 0.0 : double(x) * double(in - 1) / (resized - 1);
  if (mode == "asymmetric")
    return x / scale;
  return (x + 0.5) / scale; // tf_half_pixel_for_nn
}

int64_t roundNearest(double c, const std::string &mode) {
  if (mode == "floor")
    return int64_t(std::floor(c));
  if (mode == "ceil")
    return int64_t(std::ceil(c));
  if (c - std::floor(c) == 0.5)
    return int64_t(mode == "round_prefer_ceil" ? std::ceil(c) : std::floor(c));
  return int64_t(std::floor(c + 0.5));
}

AxisTable resizeAxis(const Node &node, int64_t in, int64_t out, double scale) {
  AxisTable t;
  const std::string &coord = node.getString("coordinate_mode");
  bool linear = node.getString("mode") == "linear";
  const std::string &nearest = node.getString("nearest_mode");
  for (int64_t x = 0; x < out; ++x) {
    double c = sourceCoordinate(coord, x, in, out, scale);
    if (linear) {
      c = std::clamp(c, 0.0, double(in - 1));
      int64_t lo = int64_t(std::floor(c));
      t.lo.push_back(lo);
      t.hi.push_back(std::min(lo + 1, in - 1));
      t.frac.push_back(c - lo);
    } else {
      int64_t i = std::clamp<int64_t>(roundNearest(c, nearest), 0, in - 1);
      t.lo.push_back(i);
      t.hi.push_back(i);
      t.frac.push_back(0.0);
    }
  }
  return t;
}

std::vector<Tensor> resize2d(const Node &node, const Operands &in) {
  const Tensor &x = *in[0];
  expectRank(node, x, 4, "input");
  int64_t size[2], inSize[2] = {x.dim(2), x.dim(3)};
  double scale[2];
  for (int axis = 0; axis < 2; ++axis) {
    if (node.has("scales")) {
      scale[axis] = node.getFloats("scales")[axis];
      size[axis] = int64_t(std::floor(double(inSize[axis]) * scale[axis]));
    } else {
      if (node.has("sizes")) {
        size[axis] = node.getInts("sizes")[axis];
      } else {
        const auto &ls = node.getInts("like_scale");
        size[axis] = in[1]->dim(2 + axis) * ls[2 * axis] / ls[2 * axis + 1];
      }
      scale[axis] = double(size[axis]) / double(inSize[axis]);
    }
    if (size[axis] < 1)
      throw RuntimeError(node.describe() + ": resizes the " +
                         formatShape(x.shape) + " input to nothing");
  }
  AxisTable ty = resizeAxis(node, inSize[0], size[0], scale[0]);
  AxisTable tx = resizeAxis(node, inSize[1], size[1], scale[1]);
  int64_t h = inSize[0], w = inSize[1], oh = size[0], ow = size[1];
  Tensor out({x.dim(0), x.dim(1), oh, ow});
  parallelFor(x.dim(0) * x.dim(1), [&](int64_t p) {
    const float *src = &x.data[p * h * w];
    for (int64_t y = 0; y < oh; ++y) {
      const float *r0 = src + ty.lo[y] * w, *r1 = src + ty.hi[y] * w;
      double fy = ty.frac[y];
      for (int64_t c = 0; c < ow; ++c) {
        double fx = tx.frac[c];
        double top = r0[tx.lo[c]] * (1 - fx) + r0[tx.hi[c]] * fx;
        double bottom = r1[tx.lo[c]] * (1 - fx) + r1[tx.hi[c]] * fx;
        out.data[(p * oh + y) * ow + c] = float(top * (1 - fy) + bottom * fy);
      }
    }
  });
  return {std::move(out)};
}

} // namespace

void addGeometryKernels(KernelTable &table) {
  table["pad2d"] = pad2d;
  table["resize2d"] = resize2d;
}

} // namespace sstep::reference
