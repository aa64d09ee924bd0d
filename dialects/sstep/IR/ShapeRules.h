//===- ShapeRules.h - Result shapes of the data-movement ops ----*- C++ -*-===//
//
// The result shapes of concat, flatten, reshape, transpose, matmul and gemm,
// and unidirectional broadcasting, free of MLIR: the op verifiers, the ONNX
// importer and the reference kernels share one definition of each rule and
// of its error messages.
//
// A dimension below zero is unknown (the image's height and width at compile
// time); a rule yields an unknown dimension where its value depends on one.
// At run time every dimension is known and so is every result.
//
// Example: reshape of 1x8x?x? to [0, 0, -1] is 1x8x?; of 1x8x4x5 it is
// 1x8x20.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_DIALECTS_SSTEP_IR_SHAPERULES_H
#define SSTEP_DIALECTS_SSTEP_IR_SHAPERULES_H

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace sstep::shape {

using Dims = std::vector<int64_t>;

/// A result shape, or why there is none.
struct Result {
  Dims dims;
  std::string error;
  bool ok() const { return error.empty(); }
};

inline Result fail(std::string message) { return {{}, std::move(message)}; }

inline bool known(int64_t d) { return d >= 0; }

/// "1x8x?x?" style, an unknown dimension printed as '?'.
inline std::string format(const Dims &dims) {
  std::string text;
  for (size_t i = 0; i < dims.size(); ++i)
    text += (i ? "x" : "") + (known(dims[i]) ? std::to_string(dims[i]) : "?");
  return text.empty() ? "scalar" : text;
}

/// "[0, 0, -1]" style, for attribute values such as a reshape's target.
inline std::string list(const Dims &dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    text += (i ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

/// The product of dims[begin, end), or -1 when a factor is unknown.
inline int64_t product(const Dims &dims, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end; ++i) {
    if (!known(dims[i]))
      return -1;
    n *= dims[i];
  }
  return n;
}

/// Whether two dimensions may be equal (an unknown one may be anything).
inline bool agree(int64_t a, int64_t b) {
  return !known(a) || !known(b) || a == b;
}

/// ONNX Flatten: [d0 * ... * d(axis-1), d(axis) * ... * d(rank-1)].
inline Result flatten(const Dims &in, int64_t axis) {
  if (axis < 0 || axis > int64_t(in.size()))
    return fail("axis " + std::to_string(axis) + " is out of range for rank " +
                std::to_string(in.size()));
  return {{product(in, 0, axis), product(in, axis, in.size())}, ""};
}

/// ONNX Transpose: result dim i is input dim perm[i].
inline Result transpose(const Dims &in, const Dims &perm) {
  if (perm.size() != in.size())
    return fail("perm has " + std::to_string(perm.size()) +
                " entries for rank " + std::to_string(in.size()));
  std::vector<bool> seen(in.size(), false);
  Dims out;
  for (int64_t p : perm) {
    if (p < 0 || p >= int64_t(in.size()) || seen[p])
      return fail("perm is not a permutation of 0.." +
                  std::to_string(int64_t(in.size()) - 1));
    seen[p] = true;
    out.push_back(in[p]);
  }
  return {out, ""};
}

/// ONNX Slice along one axis of size `size`: the first index taken and how
/// many, with ONNX's clamping (negative indices count from the end).
struct SliceRange {
  int64_t first = 0, count = 0;
};
inline SliceRange sliceRange(int64_t size, int64_t start, int64_t end,
                             int64_t step) {
  auto resolve = [&](int64_t i, int64_t lo, int64_t hi) {
    if (i < 0)
      i += size;
    return std::clamp(i, lo, hi);
  };
  SliceRange r;
  if (size <= 0)
    return r;
  if (step > 0) {
    r.first = resolve(start, 0, size);
    int64_t e = resolve(end, 0, size);
    r.count = e > r.first ? 1 + (e - r.first - 1) / step : 0;
  } else {
    r.first = resolve(start, 0, size - 1);
    int64_t e = resolve(end, -1, size - 1);
    // -(step + 1) + 1 is |step| without overflowing at INT64_MIN.
    r.count = r.first > e ? 1 + (r.first - e - 1) / (-(step + 1) + 1) : 0;
  }
  return r;
}

/// ONNX Slice with constant starts, ends, axes (non-negative) and steps: an
/// unknown dimension sliced stays unknown.
inline Result slice(const Dims &in, const Dims &starts, const Dims &ends,
                    const Dims &axes, const Dims &steps) {
  if (starts.size() != axes.size() || ends.size() != axes.size() ||
      steps.size() != axes.size())
    return fail("starts, ends, axes and steps differ in length");
  Dims out = in;
  std::vector<bool> seen(in.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axes[i];
    if (a < 0 || a >= int64_t(in.size()) || seen[a])
      return fail("axis " + std::to_string(a) + " is out of range or repeated");
    seen[a] = true;
    if (steps[i] == 0)
      return fail("a step of 0");
    if (known(in[a]))
      out[a] = sliceRange(in[a], starts[i], ends[i], steps[i]).count;
  }
  return {out, ""};
}

/// A reduction over `axes` (non-negative, distinct): those dimensions become
/// 1 with `keepDims`, else disappear.
inline Result reduce(const Dims &in, const Dims &axes, bool keepDims) {
  std::vector<bool> reduced(in.size(), false);
  for (int64_t a : axes) {
    if (a < 0 || a >= int64_t(in.size()) || reduced[a])
      return fail("axis " + std::to_string(a) + " is out of range or repeated");
    reduced[a] = true;
  }
  Dims out;
  for (size_t d = 0; d < in.size(); ++d)
    if (!reduced[d])
      out.push_back(in[d]);
    else if (keepDims)
      out.push_back(1);
  return {out, ""};
}

/// The reshape entry that copies input dimension `d` to any position: -2 for
/// dimension 0, -3 for 1, ... (ONNX's 0 copies only to the same position; a
/// view(n, g, c, h, w) of NCHW moves H and W).
constexpr int64_t kInputDim(int64_t d) { return -2 - d; }

/// ONNX Reshape's target shape with each 0 resolved (a copy of the input's
/// dimension unless `allowZero`) and -1 left in place.

inline Result reshapeEntries(const Dims &in, const Dims &target,
                             bool allowZero) {
  Dims out;
  int inferred = 0;
  bool zero = false;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t t = target[i];
    if (t <= kInputDim(0)) {
      // SSTEP's own entry: input dimension -t - 2, wherever it goes.
      int64_t from = -t - 2;
      if (from >= int64_t(in.size()))
        return fail("shape entry " + std::to_string(t) +
                    " copies input dimension " + std::to_string(from) +
                    ", which the input (rank " + std::to_string(in.size()) +
                    ") lacks");
      out.push_back(in[from]);
      continue;
    }
    inferred += t == -1;
    zero |= t == 0;
    if (t == 0 && !allowZero && i >= in.size())
      return fail("shape entry 0 at index " + std::to_string(i) +
                  " copies a dimension the input (rank " +
                  std::to_string(in.size()) + ") lacks");
    out.push_back(t == 0 && !allowZero ? in[i] : t);
  }
  if (inferred > 1)
    return fail("shape has more than one -1");
  if (inferred && zero && allowZero)
    return fail("shape has both -1 and 0 with allowzero");
  return {out, ""};
}

/// ONNX Reshape: 0 copies the input's dimension (unless `allowZero`), one -1
/// takes what is left of the element count; kInputDim(d) copies dimension d.
inline Result reshape(const Dims &in, const Dims &target, bool allowZero) {
  Result r = reshapeEntries(in, target, allowZero);
  if (!r.ok())
    return r;
  // An unknown input dimension copied to the output (0 or kInputDim) is a
  // factor of both counts: it cancels, so 1x8x?x? to [0, 2, -1, -4, -5]
  // still infers 4.
  auto copiedFrom = [&](size_t i) -> int64_t {
    if (target[i] <= kInputDim(0))
      return -target[i] - 2;
    return target[i] == 0 && !allowZero ? int64_t(i) : -1;
  };
  std::vector<bool> cancelled(in.size(), false);
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t from = copiedFrom(i);
    if (from >= 0 && !known(in[from]))
      cancelled[from] = true;
  }
  // Counts past int64 (a model declaring absurd sizes) are refused, not
  // wrapped.
  bool overflow = false;
  auto times = [&](int64_t a, int64_t b) {
    int64_t product = 0;
    overflow |= __builtin_mul_overflow(a, b, &product);
    return product;
  };
  int64_t total = 1, rest = 1;
  for (size_t d = 0; d < in.size(); ++d)
    if (!cancelled[d])
      total = known(in[d]) && total >= 0 ? times(total, in[d]) : -1;
  std::vector<bool> used(in.size(), false);
  int64_t inferAt = -1;
  for (size_t i = 0; i < r.dims.size(); ++i) {
    int64_t from = copiedFrom(i);
    if (target[i] == -1)
      inferAt = i;
    else if (from >= 0 && cancelled[from] && !used[from])
      used[from] = true; // cancelled against the input's factor
    else if (!known(r.dims[i]) || rest < 0)
      rest = -1;
    else
      rest = times(rest, r.dims[i]);
  }
  if (overflow)
    return fail("cannot reshape " + format(in) + " to " + list(target) +
                ": more elements than a 64-bit count holds");
  if (inferAt >= 0) {
    if (rest == 0)
      return fail("-1 cannot be inferred next to a zero dimension");
    if (known(total) && rest > 0 && total % rest != 0)
      return fail("cannot reshape " + format(in) + " (" +
                  std::to_string(total) + " elements) to " + list(target));
    r.dims[inferAt] = known(total) && rest > 0 ? total / rest : -1;
  } else if (known(total) && rest >= 0 && total != rest) {
    return fail("cannot reshape " + format(in) + " (" + std::to_string(total) +
                " elements) to " + list(target) + " (" + std::to_string(rest) +
                " elements)");
  }
  return r;
}

/// Concatenation along `axis`: other dimensions agree, `axis` adds up.
inline Result concat(const std::vector<Dims> &inputs, int64_t axis) {
  if (inputs.empty())
    return fail("expects at least one input");
  const Dims &first = inputs[0];
  if (axis < 0 || axis >= int64_t(first.size()))
    return fail("axis " + std::to_string(axis) + " is out of range for rank " +
                std::to_string(first.size()));
  Dims out = first;
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Dims &in = inputs[i];
    if (in.size() != first.size())
      return fail("input " + std::to_string(i) + " has rank " +
                  std::to_string(in.size()) + ", input 0 has rank " +
                  std::to_string(first.size()));
    for (size_t d = 0; d < in.size(); ++d) {
      if (int64_t(d) == axis) {
        out[d] = known(out[d]) && known(in[d]) ? out[d] + in[d] : -1;
      } else if (!agree(out[d], in[d])) {
        return fail("input " + std::to_string(i) + " (" + format(in) +
                    ") differs from input 0 (" + format(first) +
                    ") outside axis " + std::to_string(axis));
      } else if (!known(out[d])) {
        out[d] = in[d];
      }
    }
  }
  return {out, ""};
}

/// Whether `from` broadcasts to `to` without changing `to` (ONNX's
/// unidirectional broadcasting: trailing alignment, a dimension of 1
/// stretches).
inline Result broadcastTo(const Dims &from, const Dims &to) {
  if (from.size() > to.size())
    return fail(format(from) + " has a higher rank than " + format(to));
  size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && !agree(from[i], to[lead + i]))
      return fail(format(from) + " does not broadcast to " + format(to));
  return {to, ""};
}

/// NumPy broadcasting of two batch shapes, for matmul.
inline Result broadcast(const Dims &a, const Dims &b) {
  size_t rank = std::max(a.size(), b.size());
  Dims out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (known(da) && known(db) && da != db && da != 1 && db != 1)
      return fail(format(a) + " and " + format(b) + " do not broadcast");
    out[i] = da == 1 ? db : db == 1 ? da : known(da) ? da : db;
  }
  return {out, ""};
}

/// NumPy matmul: a 1-D operand is a row (lhs) or column (rhs) vector whose
/// extra dimension is dropped from the result; leading dims broadcast.
inline Result matmul(const Dims &a, const Dims &b) {
  if (a.empty() || b.empty())
    return fail("operands must have rank >= 1");
  Dims a2 = a.size() == 1 ? Dims{1, a[0]} : a;
  Dims b2 = b.size() == 1 ? Dims{b[0], 1} : b;
  int64_t k1 = a2.back(), k2 = b2[b2.size() - 2];
  if (!agree(k1, k2))
    return fail("contracted dimensions differ: " + format(a) + " times " +
                format(b));
  Result batch =
      broadcast(Dims(a2.begin(), a2.end() - 2), Dims(b2.begin(), b2.end() - 2));
  if (!batch.ok())
    return batch;
  if (a.size() > 1)
    batch.dims.push_back(a2[a2.size() - 2]);
  if (b.size() > 1)
    batch.dims.push_back(b2.back());
  return batch;
}

/// ONNX Gemm: op(A) is MxK, op(B) is KxN, the result MxN.
inline Result gemm(const Dims &a, const Dims &b, bool transA, bool transB) {
  if (a.size() != 2 || b.size() != 2)
    return fail("A and B must be 2-D, got " + format(a) + " and " + format(b));
  int64_t m = transA ? a[1] : a[0], k1 = transA ? a[0] : a[1];
  int64_t k2 = transB ? b[1] : b[0], n = transB ? b[0] : b[1];
  if (!agree(k1, k2))
    return fail("contracted dimensions differ: " + std::to_string(k1) + " vs " +
                std::to_string(k2));
  return {{m, n}, ""};
}

} // namespace sstep::shape

#endif // SSTEP_DIALECTS_SSTEP_IR_SHAPERULES_H
