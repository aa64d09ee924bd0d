//===- ConstantFolding.cpp - Nodes whose inputs are all constant ----------===//
//
// Exporters compute constants with ops: torch's F.pad emits ConstantOfShape
// -> Concat -> Reshape -> Slice(step -1) -> Transpose -> Reshape -> Cast to
// build Pad's pads. A node of these data-movement ops whose inputs are all
// constants is evaluated here, before any converter sees it, so the consumer
// reads a constant.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;

namespace sstep::onnx_import {
namespace {

/// A constant as plain data: integers, or floats as double.
struct Array {
  std::vector<int64_t> shape;
  std::vector<double> values;
  Type elementType;

  int64_t size() const {
    return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                           std::multiplies<int64_t>());
  }
};

/// `v` as an integer: saturated at int64's ends, NaN as 0 (a plain cast of
/// a float outside the range is undefined).
int64_t toInt64(double v) {
  if (std::isnan(v))
    return 0;
  if (v >= 9.2e18)
    return std::numeric_limits<int64_t>::max();
  if (v <= -9.2e18)
    return std::numeric_limits<int64_t>::min();
  return int64_t(v);
}

Array toArray(DenseElementsAttr attr) {
  Array a;
  a.shape.assign(attr.getType().getShape().begin(),
                 attr.getType().getShape().end());
  a.elementType = attr.getElementType();
  if (isa<IntegerType>(a.elementType))
    for (const APInt &v : attr.getValues<APInt>())
      // Separate casts: a ?: of uint64_t and int64_t would make -1 huge.
      a.values.push_back(a.elementType.isInteger(1) ? double(v.getZExtValue())
                                                    : double(v.getSExtValue()));
  else
    for (const APFloat &v : attr.getValues<APFloat>())
      a.values.push_back(v.convertToDouble());
  return a;
}

DenseElementsAttr toAttr(const Array &a) {
  auto type = RankedTensorType::get(a.shape, a.elementType);
  if (auto intType = dyn_cast<IntegerType>(a.elementType)) {
    SmallVector<APInt> v;
    for (double d : a.values)
      v.push_back(APInt(intType.getWidth(), toInt64(d),
                        /*isSigned=*/intType.getWidth() > 1));
    return DenseElementsAttr::get(type, v);
  }
  SmallVector<APFloat> v;
  for (double d : a.values) {
    APFloat f(d);
    bool lost;
    f.convert(cast<FloatType>(a.elementType).getFloatSemantics(),
              APFloat::rmNearestTiesToEven, &lost);
    v.push_back(f);
  }
  return DenseElementsAttr::get(type, v);
}

/// Folding materialises every element; a shape past this (or negative) is
/// a malformed model, not something to allocate.
constexpr int64_t kMaxFoldedElements = int64_t(1) << 24;

/// Fails naming the node unless `shape` is one a constant can have here.
const std::vector<int64_t> &checkShape(NodeContext &ctx,
                                       const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(count, d, &count) ||
        count > kMaxFoldedElements)
      ctx.fail("a constant of shape " + shape::list(shape) +
               (d < 0 ? " (a negative size)" : " is too large to fold"));
  return shape;
}

std::vector<int64_t> ints(const Array &a) {
  std::vector<int64_t> out;
  for (double v : a.values)
    out.push_back(toInt64(v));
  return out;
}

int64_t normAxis(NodeContext &ctx, int64_t axis, int64_t rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    ctx.fail("axis " + std::to_string(axis) + " out of range");
  return a;
}

/// out[idx] = in[map(idx)] over every index of `shape`.
template <typename Map>
Array gather(const Array &in, std::vector<int64_t> shape, Map map) {
  Array out{shape, {}, in.elementType};
  std::vector<int64_t> idx(shape.size(), 0), inStrides(in.shape.size(), 1);
  for (int64_t d = int64_t(in.shape.size()) - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * in.shape[d + 1];
  for (int64_t n = 0; n < out.size(); ++n) {
    std::vector<int64_t> src = map(idx);
    int64_t off = 0;
    for (size_t d = 0; d < src.size(); ++d)
      off += src[d] * inStrides[d];
    out.values.push_back(in.values[off]);
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0 && ++idx[d] == shape[d];
         --d)
      idx[d] = 0;
  }
  return out;
}

Array reshape(NodeContext &ctx, Array in, const std::vector<int64_t> &target) {
  std::vector<int64_t> shape = target;
  bool allowZero = ctx.intAttr("allowzero", 0) != 0;
  int64_t known = 1, infer = -1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0 && !allowZero)
      shape[d] = d < in.shape.size() ? in.shape[d] : 0;
    if (shape[d] == -1)
      infer = d;
    else
      known *= shape[d];
  }
  if (infer >= 0)
    shape[infer] = known ? in.size() / known : 0;
  if (std::count(shape.begin(), shape.end(), int64_t(-1)) > 1)
    ctx.fail("a Reshape of a constant with more than one -1");
  in.shape = checkShape(ctx, shape);
  if (in.size() != int64_t(in.values.size()))
    ctx.fail("cannot reshape a constant of " +
             std::to_string(in.values.size()) + " elements to that shape");
  return in;
}

/// numpy's broadcast of `shapes`, or a failure naming the node.
std::vector<int64_t>
broadcastShape(NodeContext &ctx,
               const std::vector<std::vector<int64_t>> &shapes) {
  size_t rank = 0;
  for (const auto &s : shapes)
    rank = std::max(rank, s.size());
  std::vector<int64_t> out(rank, 1);
  for (const auto &s : shapes)
    for (size_t d = 0; d < s.size(); ++d) {
      int64_t &o = out[rank - s.size() + d];
      if (s[d] != 1 && o != 1 && s[d] != o)
        ctx.fail("constant operands do not broadcast");
      if (s[d] != 1)
        o = s[d];
    }
  return out;
}

/// `a` broadcast to `shape` (which broadcastShape gave).
Array broadcastTo(const Array &a, const std::vector<int64_t> &shape) {
  const size_t lead = shape.size() - a.shape.size();
  return gather(a, shape, [&](const std::vector<int64_t> &idx) {
    std::vector<int64_t> src(a.shape.size());
    for (size_t d = 0; d < src.size(); ++d)
      src[d] = a.shape[d] == 1 ? 0 : idx[lead + d];
    return src;
  });
}

/// Element-wise `f` over broadcast operands, the result of `type`.
template <typename F>
Array elementwise(NodeContext &ctx, const std::vector<Array> &in, Type type,
                  F f) {
  std::vector<std::vector<int64_t>> shapes;
  for (const Array &a : in)
    shapes.push_back(a.shape);
  std::vector<int64_t> shape = checkShape(ctx, broadcastShape(ctx, shapes));
  std::vector<Array> b;
  for (const Array &a : in)
    b.push_back(broadcastTo(a, shape));
  Array out{shape, {}, type};
  for (size_t i = 0; i < size_t(out.size()); ++i) {
    std::vector<double> args;
    for (const Array &a : b)
      args.push_back(a.values[i]);
    out.values.push_back(f(args));
  }
  return out;
}

/// Fails naming the node unless it has the inputs its op folds from: their
/// number, and the same element type where values are compared or chosen.
void checkInputs(NodeContext &ctx, const std::vector<Array> &in) {
  const std::string &op = ctx.node().op_type();
  size_t least = op == "Where" || (op == "Slice" && ctx.opset() >= 10) ? 3
                 : op == "Equal" || op == "Expand" || op == "Reshape"  ? 2
                                                                       : 1;
  if (in.size() < least)
    ctx.fail("expects at least " + std::to_string(least) + " inputs, got " +
             std::to_string(in.size()));
  if ((op == "Equal" && in[0].elementType != in[1].elementType) ||
      (op == "Where" && in[1].elementType != in[2].elementType))
    ctx.fail("inputs of different element types");
  bool shaped = op == "Expand" || op == "Reshape" || op == "ConstantOfShape";
  if (shaped &&
      !isa<IntegerType>(in[op == "ConstantOfShape" ? 0 : 1].elementType))
    ctx.fail("the shape must be an integer tensor");
}

std::optional<Array> fold(NodeContext &ctx, std::vector<Array> &in) {
  const std::string &op = ctx.node().op_type();
  checkInputs(ctx, in);
  // ViT's exporter asserts the patch grid's size with Equal and Where on
  // constant shapes, then Expands the class token to the batch.
  if (op == "Equal")
    return elementwise(
        ctx, in, IntegerType::get(ctx.builder().getContext(), 1),
        [](const std::vector<double> &v) { return double(v[0] == v[1]); });
  if (op == "Where")
    return elementwise(
        ctx, in, in[1].elementType,
        [](const std::vector<double> &v) { return v[0] != 0 ? v[1] : v[2]; });
  if (op == "Expand") {
    std::vector<int64_t> shape =
        checkShape(ctx, broadcastShape(ctx, {in[0].shape, ints(in[1])}));
    return broadcastTo(in[0], shape);
  }
  if (op == "Reshape")
    return reshape(ctx, in[0], ints(in[1]));
  if (op == "Transpose") {
    std::vector<int64_t> perm(in[0].shape.size());
    std::iota(perm.rbegin(), perm.rend(), 0);
    perm = ctx.intsAttr("perm", perm);
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (size_t d = 0; d < sorted.size(); ++d)
      if (sorted.size() != in[0].shape.size() || sorted[d] != int64_t(d))
        ctx.fail("perm is not a permutation of the input's axes");
    std::vector<int64_t> shape;
    for (int64_t p : perm)
      shape.push_back(in[0].shape[normAxis(ctx, p, in[0].shape.size())]);
    return gather(in[0], shape, [&](const std::vector<int64_t> &idx) {
      std::vector<int64_t> src(idx.size());
      for (size_t d = 0; d < idx.size(); ++d)
        src[perm[d]] = idx[d];
      return src;
    });
  }
  if (op == "Slice" && ctx.opset() >= 10) {
    const Array &x = in[0];
    int64_t rank = x.shape.size();
    std::vector<int64_t> starts = ints(in[1]), ends = ints(in[2]), axes, steps;
    axes = in.size() > 3 ? ints(in[3]) : std::vector<int64_t>();
    steps = in.size() > 4 ? ints(in[4]) : std::vector<int64_t>();
    if (axes.empty())
      for (size_t i = 0; i < starts.size(); ++i)
        axes.push_back(i);
    if (ends.size() != starts.size() || axes.size() != starts.size() ||
        steps.size() > starts.size())
      ctx.fail("starts, ends, axes and steps of different lengths");
    steps.resize(starts.size(), 1);
    std::vector<int64_t> begin(rank, 0), step(rank, 1), shape = x.shape;
    for (size_t i = 0; i < starts.size(); ++i) {
      int64_t a = normAxis(ctx, axes[i], rank), n = x.shape[a], s = steps[i];
      if (s == 0)
        ctx.fail("slice step 0");
      auto clampIdx = [&](int64_t v, int64_t lo, int64_t hi) {
        v = v < 0 ? v + n : v;
        return std::clamp(v, lo, hi);
      };
      int64_t b =
          s > 0 ? clampIdx(starts[i], 0, n) : clampIdx(starts[i], -1, n - 1);
      int64_t e =
          s > 0 ? clampIdx(ends[i], 0, n) : clampIdx(ends[i], -1, n - 1);
      begin[a] = b;
      step[a] = s;
      shape[a] = std::max<int64_t>(0, s > 0 ? (e - b + s - 1) / s
                                            : (b - e - s - 1) / -s);
    }
    return gather(x, shape, [&](const std::vector<int64_t> &idx) {
      std::vector<int64_t> src(idx.size());
      for (size_t d = 0; d < idx.size(); ++d)
        src[d] = begin[d] + idx[d] * step[d];
      return src;
    });
  }
  if (op == "Concat") {
    int64_t axis = normAxis(ctx, ctx.intAttr("axis", 0), in[0].shape.size());
    for (const Array &a : in)
      for (size_t d = 0; d < in[0].shape.size(); ++d)
        if (a.shape.size() != in[0].shape.size() ||
            (int64_t(d) != axis && a.shape[d] != in[0].shape[d]))
          ctx.fail("constant inputs whose shapes do not concatenate");
    // Row-major: for each index before `axis`, one block of every input.
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= in[0].shape[d];
    Array out = in[0];
    out.values.clear();
    out.shape[axis] = 0;
    for (const Array &a : in)
      out.shape[axis] += a.shape[axis];
    for (int64_t o = 0; o < outer; ++o)
      for (const Array &a : in) {
        int64_t block = outer ? a.size() / outer : 0;
        out.values.insert(out.values.end(), a.values.begin() + o * block,
                          a.values.begin() + (o + 1) * block);
      }
    return out;
  }
  if (op == "ConstantOfShape") {
    Array out{checkShape(ctx, ints(in[0])),
              {},
              Float32Type::get(ctx.builder().getContext())};
    double fill = 0;
    for (const auto &a : ctx.node().attribute())
      if (a.name() == "value") {
        Array v = toArray(tensorToAttr(*ctx.builder().getContext(), a.t(),
                                       "ConstantOfShape value"));
        out.elementType = v.elementType;
        fill = v.values.empty() ? 0 : v.values[0];
      }
    out.values.assign(out.size(), fill);
    return out;
  }
  if (op == "Cast") {
    Type t = elementTypeOf(*ctx.builder().getContext(), ctx.intAttr("to", 0));
    if (!t)
      return std::nullopt;
    Array out = in[0];
    out.elementType = t;
    if (isa<IntegerType>(t))
      for (double &v : out.values)
        v = std::trunc(v);
    return out;
  }
  return std::nullopt;
}

} // namespace

bool foldConstantNode(NodeContext &ctx) {
  static const char *foldable[] = {"Reshape",         "Transpose", "Slice",
                                   "Concat",          "Cast",      "Equal",
                                   "ConstantOfShape", "Where",     "Expand"};
  if (std::find_if(std::begin(foldable), std::end(foldable),
                   [&](const char *n) { return ctx.node().op_type() == n; }) ==
      std::end(foldable))
    return false;
  std::vector<Array> inputs;
  for (size_t i = 0; i < ctx.numInputs(); ++i) {
    if (!ctx.hasInput(i))
      break; // optional trailing inputs
    std::optional<DenseElementsAttr> c = ctx.constantInput(i);
    if (!c)
      return false;
    inputs.push_back(toArray(*c));
  }
  if (inputs.empty() && ctx.node().op_type() != "ConstantOfShape")
    return false;
  std::optional<Array> out = fold(ctx, inputs);
  if (!out)
    return false;
  ctx.setConstantOutput(0, toAttr(*out));
  return true;
}

} // namespace sstep::onnx_import
