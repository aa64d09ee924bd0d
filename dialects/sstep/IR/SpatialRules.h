//===- SpatialRules.h - Window rules of spatially local ops -----*- C++ -*-===//
//
// The interval arithmetic behind the spatial op interface, free of MLIR so that
// the runtime, the planner and unit tests share one definition.
//
// Intervals are inclusive and live in an operand's own pixel grid. A rule maps
// an output interval to the input interval that computing it reads; the result
// may extend past the image, and what lies there is the op's BorderRule.
//
// Worked example, a 3x3 convolution with stride 2 and pad 1 along one axis:
// output pixels [4, 7] read input pixels [2*4 - 1, 2*7 - 1 + 1*(3-1)] = [7,
// 15].
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_DIALECTS_SSTEP_IR_SPATIALRULES_H
#define SSTEP_DIALECTS_SSTEP_IR_SPATIALRULES_H

#include <algorithm>
#include <cstdint>

namespace sstep {

/// An inclusive interval of pixel indices along one spatial axis. Empty when
/// hi < lo.
struct Interval {
  int64_t lo = 0;
  int64_t hi = -1;

  bool empty() const { return hi < lo; }
  int64_t size() const { return empty() ? 0 : hi - lo + 1; }
  bool contains(int64_t i) const { return lo <= i && i <= hi; }
  bool contains(Interval o) const {
    return o.empty() || (lo <= o.lo && o.hi <= hi);
  }

  /// The smallest interval covering both (the union of consumers' needs).
  Interval hull(Interval o) const {
    if (empty())
      return o;
    if (o.empty())
      return *this;
    return {std::min(lo, o.lo), std::max(hi, o.hi)};
  }
  /// The part inside `o` (clipping a window to the image).
  Interval intersect(Interval o) const {
    return {std::max(lo, o.lo), std::min(hi, o.hi)};
  }

  friend bool operator==(Interval a, Interval b) {
    return (a.empty() && b.empty()) || (a.lo == b.lo && a.hi == b.hi);
  }
  friend bool operator!=(Interval a, Interval b) { return !(a == b); }
};

/// What an op reads where its window extends past the image.
enum class BorderRule {
  /// Never reads outside (pointwise ops, concat).
  None,
  /// Zeros, as convolution padding.
  Zero,
  /// Minus infinity, as max-pool padding.
  NegInfinity,
  /// Not there at all: excluded from an average's divisor.
  Excluded,
  /// The nearest pixel inside, as resize's clamped coordinates and edge
  /// padding.
  Clamp,
  /// Mirrored about the edge pixel, as reflect padding.
  Reflect,
  /// A constant other than zero, as constant padding with a value.
  Constant,
};

/// The spelling of a border rule in IR and diagnostics.
inline const char *stringifyBorderRule(BorderRule rule) {
  switch (rule) {
  case BorderRule::None:
    return "none";
  case BorderRule::Zero:
    return "zero";
  case BorderRule::NegInfinity:
    return "neg_infinity";
  case BorderRule::Excluded:
    return "excluded";
  case BorderRule::Clamp:
    return "clamp";
  case BorderRule::Reflect:
    return "reflect";
  case BorderRule::Constant:
    return "constant";
  }
  return "unknown";
}

/// The geometry of a sliding window (convolution or pooling) along one axis.
struct WindowAxis {
  int64_t kernel = 1;
  int64_t stride = 1;
  int64_t dilation = 1;
  int64_t padBegin = 0;
  int64_t padEnd = 0;

  /// Number of input pixels one output pixel spans: d*(k-1) + 1.
  int64_t extent() const { return dilation * (kernel - 1) + 1; }
};

/// Output pixels along an axis for `inputSize` input pixels. In ceil mode
/// (pooling) a last, partial window is kept when it starts inside the image or
/// its leading pad, as PyTorch and ONNX do; it reads past the trailing pad,
/// where the op's border rule applies.
inline int64_t windowOutputSize(int64_t inputSize, const WindowAxis &w,
                                bool ceilMode = false) {
  int64_t span = inputSize + w.padBegin + w.padEnd - w.extent();
  if (span < 0)
    return 0;
  if (!ceilMode)
    return span / w.stride + 1;
  int64_t size = (span + w.stride - 1) / w.stride + 1;
  if ((size - 1) * w.stride >= inputSize + w.padBegin)
    --size;
  return size;
}

/// Input interval read by output interval `out` of a sliding window:
/// [s*a - p, s*b - p + d*(k-1)].
inline Interval windowInputInterval(Interval out, const WindowAxis &w) {
  if (out.empty())
    return out;
  return {w.stride * out.lo - w.padBegin,
          w.stride * out.hi - w.padBegin + w.dilation * (w.kernel - 1)};
}

/// floor(a / b) and ceil(a / b) for b > 0 and any sign of a.
inline int64_t floorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}
inline int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }

/// Output pixels along an axis of a transposed convolution (the inverse
/// geometry of `w`): (size - 1)*s - pad_begin - pad_end + d*(k-1) + 1 +
/// output_padding. The output padding adds pixels at the end that only the
/// bias reaches unless a tap lands there.
inline int64_t transposedOutputSize(int64_t inputSize, const WindowAxis &w,
                                    int64_t outputPadding) {
  return (inputSize - 1) * w.stride - w.padBegin - w.padEnd + w.extent() +
         outputPadding;
}

/// Input interval read by output interval `out` of a transposed convolution:
/// the hull, over taps t, of the inputs i with i*s - p + d*t in [a, b]. It
/// lies within [ceil((a + p - d*(k-1)) / s), floor((b + p) / s)] and is
/// tighter when some taps miss a short interval (dilation > 1).
/// Example: k = 2, s = 2, p = 0: outputs [4, 7] read inputs [2, 3].
inline Interval transposedInputInterval(Interval out, const WindowAxis &w) {
  Interval result;
  if (out.empty())
    return result;
  for (int64_t t = 0; t < w.kernel; ++t) {
    int64_t shift = w.dilation * t - w.padBegin;
    Interval reached{ceilDiv(out.lo - shift, w.stride),
                     floorDiv(out.hi - shift, w.stride)};
    if (!reached.empty())
      result = result.hull(reached);
  }
  return result;
}

/// A window rule that is affine in the output position: output interval [a, b]
/// reads [stride*a - before, stride*b + after]. Sliding windows and chains of
/// them are affine; a resize by a non-integer factor is not.
struct AffineWindow {
  int64_t stride = 1;
  int64_t before = 0;
  int64_t after = 0;

  /// Input pixels seen by one output pixel.
  int64_t size() const { return before + after + 1; }

  Interval apply(Interval out) const {
    if (out.empty())
      return out;
    return {stride * out.lo - before, stride * out.hi + after};
  }

  friend bool operator==(const AffineWindow &a, const AffineWindow &b) {
    return a.stride == b.stride && a.before == b.before && a.after == b.after;
  }
};

/// The rule of an op followed, towards the source, by the rule that maps its
/// operand to the source: toSource.apply(op.apply(out)) == result.apply(out).
/// Example: a 3x3/s1/p1 conv {1, 1, 1} after a 7x7/s2/p3 stem {2, 3, 3} gives
/// {2, 2*1 + 3, 2*1 + 3} = {2, 5, 5}.
inline AffineWindow compose(const AffineWindow &toSource,
                            const AffineWindow &op) {
  return {toSource.stride * op.stride,
          toSource.stride * op.before + toSource.before,
          toSource.stride * op.after + toSource.after};
}

} // namespace sstep

#endif // SSTEP_DIALECTS_SSTEP_IR_SPATIALRULES_H
