//===- AxisRule.h - One spatial op's window rule along one axis --*- C++
//-*-===//
//
// What the spatial op interface answers, as a value free of MLIR: the compiler
// asks each op for its AxisRule, the exporter writes it into the Program, and
// the runtime evaluates it at the image size it is given. So an op's halo rule
// is stated once, by the op, and evaluated the same way everywhere.
//
// Worked example, nearest 2x upsampling with half_pixel coordinates of a 5
// pixel axis (10 out): output [3, 6] reads source coordinates 1.25 .. 2.75,
// rounded to input [1, 3].
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_DIALECTS_SSTEP_IR_AXISRULE_H
#define SSTEP_DIALECTS_SSTEP_IR_AXISRULE_H

#include "dialects/sstep/IR/SpatialRules.h"

#include <cmath>
#include <string>

namespace sstep {

/// ONNX Resize's coordinate transforms: the source coordinate of output index
/// `x` when `in` pixels are resized to `out` by `scale`. The resized length is
/// in * scale, not the floored output size: the two differ for align_corners
/// with a scale that does not divide the size, and ONNX's reference uses the
/// former.
inline double resizeSourceCoordinate(const std::string &mode, int64_t x,
                                     int64_t in, int64_t out, double scale) {
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

/// ONNX's nearest_mode rounding of a source coordinate.
inline int64_t roundNearest(double c, const std::string &mode) {
  if (mode == "floor")
    return int64_t(std::floor(c));
  if (mode == "ceil")
    return int64_t(std::ceil(c));
  if (c - std::floor(c) == 0.5)
    return int64_t(mode == "round_prefer_ceil" ? std::ceil(c) : std::floor(c));
  return int64_t(std::floor(c + 0.5));
}

/// The input pixels one resized output pixel reads: `lo` and `hi` weighted
/// 1 - frac and frac (nearest: lo == hi, frac == 0). Both inside [0, in).
struct ResizeTap {
  int64_t lo = 0;
  int64_t hi = 0;
  double frac = 0.0;
};

/// A window rule along one spatial axis, with the op's border rule.
struct AxisRule {
  enum class Kind {
    /// Output pixel i reads input pixel i (pointwise ops, concat).
    Identity,
    /// A sliding window (convolution, pooling): `window`, `ceilMode`.
    Window,
    /// A transposed convolution: `window`, `outputPadding`.
    Transposed,
    /// Output pixel i reads input pixel i - window.padBegin (padding and
    /// cropping); the output has window.padEnd more pixels at the end.
    Shift,
    /// A resize: `linear`, `coordinateMode`, `nearestMode` and the size.
    Resize,
  };

  Kind kind = Kind::Identity;
  BorderRule border = BorderRule::None;
  WindowAxis window;
  bool ceilMode = false;
  int64_t outputPadding = 0;

  bool linear = false;
  std::string coordinateMode = "half_pixel";
  std::string nearestMode = "round_prefer_floor";
  /// The resize's output size: floor(in * scale) when scale > 0, else
  /// `fixedSize` when positive, else the `like` operand's size * likeNum /
  /// likeDen.
  double scale = 0.0;
  int64_t fixedSize = 0;
  int64_t likeNum = 1;
  int64_t likeDen = 1;

  /// Whether inputInterval needs the image sizes to be exact: resizes, and
  /// borders that read pixels inside the image (edge, reflect).
  bool needsSizes() const {
    return kind == Kind::Resize || border == BorderRule::Clamp ||
           border == BorderRule::Reflect;
  }

  /// The output size along this axis for `inSize` input pixels; `likeSize`
  /// is the size of a resize's `like` operand.
  int64_t outputSize(int64_t inSize, int64_t likeSize = -1) const;

  /// The input interval read to compute output interval `out`. Zero-like
  /// borders (zero, -inf, excluded, constant) leave the part outside the
  /// image in the result, for the caller to clip; edge and reflect borders
  /// and resizes, which read pixels inside the image instead, give those
  /// pixels and need `inSize` (and a resize `outSize`).
  Interval inputInterval(Interval out, int64_t inSize = -1,
                         int64_t outSize = -1) const;

  /// The pixels output `x` of a resize reads.
  ResizeTap resizeTap(int64_t x, int64_t inSize, int64_t outSize) const;

  /// The resize's scale: the attribute, or out / in.
  double resizeScale(int64_t inSize, int64_t outSize) const {
    return scale > 0 ? scale : double(outSize) / double(inSize);
  }
};

inline int64_t AxisRule::outputSize(int64_t inSize, int64_t likeSize) const {
  switch (kind) {
  case Kind::Identity:
    return inSize;
  case Kind::Window:
    return windowOutputSize(inSize, window, ceilMode);
  case Kind::Transposed:
    return transposedOutputSize(inSize, window, outputPadding);
  case Kind::Shift:
    return inSize + window.padBegin + window.padEnd;
  case Kind::Resize:
    if (scale > 0)
      return int64_t(std::floor(double(inSize) * scale));
    if (fixedSize > 0)
      return fixedSize;
    return likeSize * likeNum / likeDen;
  }
  return inSize;
}

inline ResizeTap AxisRule::resizeTap(int64_t x, int64_t inSize,
                                     int64_t outSize) const {
  double c = resizeSourceCoordinate(coordinateMode, x, inSize, outSize,
                                    resizeScale(inSize, outSize));
  if (linear) {
    c = std::clamp(c, 0.0, double(inSize - 1));
    int64_t lo = int64_t(std::floor(c));
    return {lo, std::min(lo + 1, inSize - 1), c - double(lo)};
  }
  int64_t i = std::clamp<int64_t>(roundNearest(c, nearestMode), 0, inSize - 1);
  return {i, i, 0.0};
}

/// The pixels inside [0, size) that positions [lo, hi] (which may lie outside
/// by less than size) read under an edge or reflect border.
inline Interval borderSources(Interval at, int64_t size, BorderRule border) {
  Interval result = at.intersect({0, size - 1});
  if (at.lo < 0) {
    Interval left =
        border == BorderRule::Clamp
            ? Interval{0, 0}
            : Interval{std::max<int64_t>(-std::min<int64_t>(at.hi, -1), 0),
                       std::min(-at.lo, size - 1)};
    result = result.hull(left);
  }
  if (at.hi >= size) {
    int64_t last = size - 1;
    Interval right = border == BorderRule::Clamp
                         ? Interval{last, last}
                         : Interval{std::max<int64_t>(2 * last - at.hi, 0),
                                    2 * last - std::max(at.lo, size)};
    result = result.hull(right);
  }
  return result;
}

inline Interval AxisRule::inputInterval(Interval out, int64_t inSize,
                                        int64_t outSize) const {
  if (out.empty())
    return out;
  switch (kind) {
  case Kind::Identity:
    return out;
  case Kind::Window:
    return windowInputInterval(out, window);
  case Kind::Transposed:
    return transposedInputInterval(out, window);
  case Kind::Shift: {
    Interval at{out.lo - window.padBegin, out.hi - window.padBegin};
    if (inSize < 0 || !needsSizes())
      return at;
    return borderSources(at, inSize, border);
  }
  case Kind::Resize:
    // Source coordinates grow with the output index, so the ends suffice.
    return {resizeTap(out.lo, inSize, outSize).lo,
            resizeTap(out.hi, inSize, outSize).hi};
  }
  return out;
}

} // namespace sstep

#endif // SSTEP_DIALECTS_SSTEP_IR_AXISRULE_H
