//===- ConvertShape.cpp - Shape arithmetic folded at import ---------------===//
//
// Shape, Gather, Slice, Concat, Unsqueeze, Squeeze, Cast, ConstantOfShape and
// integer Mul/Div/Add/Sub on shapes never become ops: they evaluate on
// ShapeExprs (see ShapeExpr.h), symbolically where a size is dynamic. What
// cannot stay exact (a product after a division, a cast to float) is an
// error. A Slice of a float tensor is the one real op here (sstep.slice).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

namespace sstep::onnx_import {
namespace {

ShapeExpr requireShape(NodeContext &ctx, size_t i, const char *what) {
  std::optional<ShapeExpr> e = ctx.shapeInput(i);
  if (!e)
    ctx.fail(std::string(what) + " (input " + std::to_string(i) +
             ") must be a shape computation or an integer constant");
  return *e;
}

void convertShape(NodeContext &ctx) {
  ctx.checkAttrs({"start", "end"});
  RankedTensorType type = tensorType(ctx, ctx.inputValue(0));
  int64_t rank = type.getRank();
  auto clampIndex = [&](int64_t i) {
    i = i < 0 ? i + rank : i;
    return std::clamp<int64_t>(i, 0, rank);
  };
  int64_t start = clampIndex(ctx.intAttr("start", 0));
  int64_t end = clampIndex(ctx.intAttr("end", rank));
  ShapeExpr e;
  for (int64_t axis = start; axis < end; ++axis) {
    int64_t d = type.getDimSize(axis);
    e.elems.push_back(ShapedType::isDynamic(d)
                          ? SymInt{ctx.inputValue(0), axis, 1, 1, 0}
                          : SymInt::of(d));
  }
  ctx.setShapeOutput(0, e);
}

/// Whether input 0 is a float tensor rather than a shape.
bool floatData(NodeContext &ctx) {
  return !ctx.shapeInput(0) &&
         isa<FloatType>(getElementTypeOrSelf(ctx.inputValue(0).getType()));
}

/// Gather of a float tensor by one constant index (ViT's class token,
/// `x[:, 0]`): a slice of one element, and a scalar index drops the axis.
void convertTensorGather(NodeContext &ctx) {
  Value x = ctx.input(0);
  RankedTensorType xType = tensorType(ctx, x);
  int64_t axis =
      normalizeAxis(ctx, ctx.intAttr("axis", 0), xType.getRank(), true);
  DenseElementsAttr indices = ctx.requireInts(1, "indices");
  if (indices.getNumElements() != 1 || indices.getType().getRank() > 1)
    ctx.fail("only one constant index of a float tensor is supported");
  int64_t size = xType.getDimSize(axis);
  int64_t index = (*indices.getValues<APInt>().begin()).getSExtValue();
  if (index < 0 && !ShapedType::isDynamic(size))
    index += size;
  if (index < 0 || (!ShapedType::isDynamic(size) && index >= size))
    ctx.fail("index " + std::to_string(index) + " is out of range");
  RankedTensorType sliced = ruleType(
      ctx, shape::slice(dimsOf(xType), {index}, {index + 1}, {axis}, {1}),
      xType.getElementType());
  OpBuilder &b = ctx.builder();
  Value y = b.create<SliceOp>(
      ctx.loc(), sliced, x, b.getDenseI64ArrayAttr({index}),
      b.getDenseI64ArrayAttr({index + 1}), b.getDenseI64ArrayAttr({axis}),
      b.getDenseI64ArrayAttr({1}));
  if (indices.getType().getRank() == 1) {
    ctx.setOutput(0, y);
    return;
  }
  std::vector<int64_t> target;
  for (int64_t d = 0; d < xType.getRank(); ++d)
    if (d != axis)
      target.push_back(int64_t(target.size()) == d ? 0 : shape::kInputDim(d));
  setReshapeOutput(ctx, y, target, false);
}

void convertGather(NodeContext &ctx) {
  ctx.checkAttrs({"axis"});
  if (floatData(ctx)) {
    convertTensorGather(ctx);
    return;
  }
  if (ctx.intAttr("axis", 0) != 0)
    ctx.fail("only axis 0 of a shape is supported");
  ShapeExpr data = requireShape(ctx, 0, "data");
  if (data.scalar)
    ctx.fail("cannot gather from a scalar");
  ShapeExpr indices = requireShape(ctx, 1, "indices");
  ShapeExpr out;
  out.scalar = indices.scalar;
  int64_t n = data.elems.size();
  for (const SymInt &i : indices.elems) {
    if (!i.isConstant())
      ctx.fail("indices must be constant");
    int64_t k = i.constant < 0 ? i.constant + n : i.constant;
    if (k < 0 || k >= n)
      ctx.fail("index " + std::to_string(i.constant) + " out of range");
    out.elems.push_back(data.elems[k]);
  }
  ctx.setShapeOutput(0, out);
}

/// Slice of a float tensor (x.chunk(2, dim=1)): constant bounds, axes made
/// non-negative, one step per axis.
void convertTensorSlice(NodeContext &ctx, std::vector<int64_t> starts,
                        std::vector<int64_t> ends, std::vector<int64_t> axes,
                        std::vector<int64_t> steps, bool axesGiven,
                        bool stepsGiven) {
  Value x = ctx.input(0);
  RankedTensorType xType = tensorType(ctx, x);
  if (!axesGiven) {
    axes.clear();
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(int64_t(i));
  }
  if (!stepsGiven)
    steps.assign(starts.size(), 1);
  for (int64_t &a : axes)
    a = normalizeAxis(ctx, a, xType.getRank(), true);
  RankedTensorType type =
      ruleType(ctx, shape::slice(dimsOf(xType), starts, ends, axes, steps),
               xType.getElementType());
  OpBuilder &b = ctx.builder();
  ctx.setOutput(0, b.create<SliceOp>(ctx.loc(), type, x,
                                     b.getDenseI64ArrayAttr(starts),
                                     b.getDenseI64ArrayAttr(ends),
                                     b.getDenseI64ArrayAttr(axes),
                                     b.getDenseI64ArrayAttr(steps)));
}

void convertSlice(NodeContext &ctx) {
  std::vector<int64_t> starts, ends, axes = {0}, steps = {1};
  bool axesGiven = false, stepsGiven = false;
  if (floatData(ctx)) {
    if (ctx.opset() < 10) {
      ctx.checkAttrs({"starts", "ends", "axes"});
      starts = ctx.intsAttr("starts", {});
      ends = ctx.intsAttr("ends", {});
      axesGiven = ctx.hasAttr("axes");
      axes = ctx.intsAttr("axes", {});
    } else {
      ctx.checkAttrs({});
      starts = requireShapeInput(ctx, 1, "starts");
      ends = requireShapeInput(ctx, 2, "ends");
      axesGiven = ctx.hasInput(3);
      if (axesGiven)
        axes = requireShapeInput(ctx, 3, "axes");
      stepsGiven = ctx.hasInput(4);
      if (stepsGiven)
        steps = requireShapeInput(ctx, 4, "steps");
    }
    convertTensorSlice(ctx, starts, ends, axes, steps, axesGiven, stepsGiven);
    return;
  }
  ShapeExpr data = requireShape(ctx, 0, "data");
  if (ctx.opset() < 10) {
    ctx.checkAttrs({"starts", "ends", "axes"});
    starts = ctx.intsAttr("starts", {});
    ends = ctx.intsAttr("ends", {});
    axes = ctx.intsAttr("axes", {0});
  } else {
    ctx.checkAttrs({});
    starts = requireShapeInput(ctx, 1, "starts");
    ends = requireShapeInput(ctx, 2, "ends");
    if (ctx.hasInput(3))
      axes = requireShapeInput(ctx, 3, "axes");
    if (ctx.hasInput(4))
      steps = requireShapeInput(ctx, 4, "steps");
  }
  if (data.scalar || starts.size() != 1 || ends.size() != 1 ||
      axes.size() != 1 || (axes[0] != 0 && axes[0] != -1) ||
      steps.size() != 1 || steps[0] == 0)
    ctx.fail("only a slice of a 1-D shape along its one axis is supported");
  int64_t n = data.elems.size(), step = steps[0];
  auto clampIndex = [&](int64_t i, int64_t lo, int64_t hi) {
    i = i < 0 ? i + n : i;
    return std::clamp(i, lo, hi);
  };
  ShapeExpr out;
  if (step > 0) {
    for (int64_t i = clampIndex(starts[0], 0, n), e = clampIndex(ends[0], 0, n);
         i < e; i += step)
      out.elems.push_back(data.elems[i]);
  } else {
    for (int64_t i = clampIndex(starts[0], -1, n - 1),
                 e = clampIndex(ends[0], -1, n - 1);
         i > e; i += step)
      out.elems.push_back(data.elems[i]);
  }
  ctx.setShapeOutput(0, out);
}

} // namespace

void foldShapeConcat(NodeContext &ctx) {
  ShapeExpr out;
  for (size_t i = 0; i < ctx.numInputs(); ++i) {
    ShapeExpr part = requireShape(ctx, i, "every input");
    if (part.scalar)
      ctx.fail("cannot concatenate scalars");
    out.elems.insert(out.elems.end(), part.elems.begin(), part.elems.end());
  }
  ctx.setShapeOutput(0, out);
}

namespace {

/// Unsqueeze or Squeeze of a float tensor: a reshape whose entries copy each
/// kept dimension (kInputDim) and put 1 where an axis is inserted.
void convertFloatSqueeze(NodeContext &ctx, std::vector<int64_t> axes,
                         bool insert) {
  Value x = ctx.input(0);
  RankedTensorType xType = tensorType(ctx, x);
  const int64_t inRank = xType.getRank();
  const int64_t outRank = insert ? inRank + int64_t(axes.size()) : inRank;
  std::vector<bool> marked(size_t(outRank), false);
  for (int64_t a : axes) {
    int64_t axis = normalizeAxis(ctx, a, outRank, true);
    if (marked[axis])
      ctx.fail("axis " + std::to_string(a) + " is given twice");
    marked[axis] = true;
  }
  if (!insert && axes.empty()) // Squeeze without axes: every known 1
    for (int64_t d = 0; d < inRank; ++d) {
      if (ShapedType::isDynamic(xType.getDimSize(d)))
        ctx.fail("squeezing without axes needs every dimension known");
      marked[d] = xType.getDimSize(d) == 1;
    }
  std::vector<int64_t> target;
  for (int64_t d = 0, k = 0; d < outRank; ++d) {
    if (insert && marked[d]) {
      target.push_back(1);
      continue;
    }
    if (!insert && marked[d]) {
      if (xType.getDimSize(d) != 1 &&
          !ShapedType::isDynamic(xType.getDimSize(d)))
        ctx.fail("axis " + std::to_string(d) + " has size " +
                 std::to_string(xType.getDimSize(d)) + ", not 1");
      continue;
    }
    int64_t from = insert ? k++ : d;
    target.push_back(from == int64_t(target.size()) ? 0
                                                    : shape::kInputDim(from));
  }
  setReshapeOutput(ctx, x, target, false);
}

/// Squeeze/Unsqueeze axes: the attribute before opset 13, else input 1.
std::vector<int64_t> squeezeAxes(NodeContext &ctx) {
  if (ctx.opset() < 13) {
    ctx.checkAttrs({"axes"});
    return ctx.intsAttr("axes", {});
  }
  ctx.checkAttrs({});
  return ctx.hasInput(1) ? requireShapeInput(ctx, 1, "axes")
                         : std::vector<int64_t>{};
}

void convertUnsqueeze(NodeContext &ctx) {
  std::vector<int64_t> axes = squeezeAxes(ctx);
  if (floatData(ctx)) {
    if (axes.empty())
      ctx.fail("Unsqueeze needs axes");
    convertFloatSqueeze(ctx, axes, true);
    return;
  }
  ShapeExpr e = requireShape(ctx, 0, "data");
  if (!e.scalar || axes.size() != 1 || (axes[0] != 0 && axes[0] != -1))
    ctx.fail("only unsqueezing a scalar shape value to 1-D is supported");
  e.scalar = false;
  ctx.setShapeOutput(0, e);
}

void convertSqueeze(NodeContext &ctx) {
  std::vector<int64_t> axes = squeezeAxes(ctx);
  if (floatData(ctx)) {
    convertFloatSqueeze(ctx, axes, false);
    return;
  }
  ShapeExpr e = requireShape(ctx, 0, "data");
  if (e.scalar || e.elems.size() != 1)
    ctx.fail("only squeezing a 1-element shape to a scalar is supported");
  e.scalar = true;
  ctx.setShapeOutput(0, e);
}

void convertCast(NodeContext &ctx) {
  ctx.checkAttrs({"to"});
  int64_t to = ctx.intAttr("to", 0);
  bool toInt = to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32;
  if (std::optional<ShapeExpr> e = ctx.shapeInput(0); e && toInt) {
    ctx.setShapeOutput(0, *e);
    return;
  }
  if (to == onnx::TensorProto::FLOAT && !ctx.constantInput(0) &&
      !ctx.shapeInput(0)) {
    Value x = ctx.input(0);
    if (tensorType(ctx, x).getElementType().isF32()) {
      ctx.setOutput(0, x); // a no-op cast
      return;
    }
  }
  ctx.fail("only casts of shapes to integers and no-op casts are supported");
}

/// A constant shape is evaluated by foldConstantNode before converters run;
/// what reaches here has a shape computed from the image size.
void convertConstantOfShape(NodeContext &ctx) {
  ctx.fail("the shape must be constant: a tensor whose size follows the "
           "image size is not supported");
}

/// a op b on one pair of elements, kept exact: any arithmetic of constants;
/// an image size times or divided by a positive constant, or plus 0; a sum
/// of sizes that is the same constant for every image size.
SymInt combine(NodeContext &ctx, SymInt a, SymInt b, char op) {
  if (a.isConstant() && b.isConstant()) {
    if (op == '/' && b.constant == 0)
      ctx.fail("division by zero in a shape computation");
    switch (op) {
    case '*':
      return SymInt::of(a.constant * b.constant);
    case '/':
      return SymInt::of(a.constant / b.constant);
    case '+':
      return SymInt::of(a.constant + b.constant);
    default:
      return SymInt::of(a.constant - b.constant);
    }
  }
  if (op == '+' || op == '-') {
    if (b.isConstant() && b.constant == 0)
      return a;
    if (op == '+' && a.isConstant() && a.constant == 0)
      return b;
    return foldSizeSum(ctx, a, b, op == '+' ? 1 : -1);
  }
  const bool divide = op == '/';
  if (a.isConstant() && !divide)
    std::swap(a, b);
  if (a.isConstant() || !b.isConstant() || b.constant <= 0)
    ctx.fail("only image sizes times or divided by a positive constant are "
             "supported in shape computations");
  if (divide) {
    a.den *= b.constant; // floor(floor(x / p) / q) == floor(x / (p * q))
  } else {
    if (a.den != 1)
      ctx.fail("a product after a division cannot be kept exact");
    a.num *= b.constant;
  }
  return a;
}

} // namespace

namespace {

/// f(a[i], b[i]) over the node's two shape operands, broadcast, as output 0;
/// `missing` says what the operands must be when one is not a shape.
template <typename F>
void zipShapes(NodeContext &ctx, const char *missing, F f) {
  std::optional<ShapeExpr> a = ctx.shapeInput(0), b = ctx.shapeInput(1);
  if (!a || !b)
    ctx.fail(missing);
  if (a->elems.size() != b->elems.size() && a->elems.size() != 1 &&
      b->elems.size() != 1)
    ctx.fail("shape operands do not broadcast");
  ShapeExpr out;
  out.scalar = a->scalar && b->scalar;
  size_t n = std::max(a->elems.size(), b->elems.size());
  for (size_t i = 0; i < n; ++i)
    out.elems.push_back(f(a->elems[a->elems.size() == 1 ? 0 : i],
                          b->elems[b->elems.size() == 1 ? 0 : i]));
  ctx.setShapeOutput(0, out);
}

} // namespace

void foldShapeArithmetic(NodeContext &ctx, char op) {
  zipShapes(
      ctx, "both operands must be shapes or integer constants",
      [&](const SymInt &a, const SymInt &b) { return combine(ctx, a, b, op); });
}

void foldShapeNegation(NodeContext &ctx) {
  ShapeExpr out = *ctx.shapeInput(0);
  for (SymInt &e : out.elems)
    e = combine(ctx, SymInt::of(0), e, '-');
  ctx.setShapeOutput(0, out);
}

namespace {

/// Equal of shapes that are not all constants (constant ones fold before
/// any converter): sizes known equal, or whose difference is the same
/// constant for every image size, give a constant; a size compared with a
/// number holds for one image size only and is refused.
void convertShapeEqual(NodeContext &ctx) {
  zipShapes(ctx,
            "only shapes are compared: comparing float tensors is not "
            "supported",
            [&](const SymInt &x, const SymInt &y) {
              bool same = x.source == y.source && x.axis == y.axis &&
                          x.num == y.num && x.den == y.den &&
                          x.constant == y.constant;
              if (!same && (x.isConstant() || y.isConstant()))
                ctx.fail("compares an image size with a number, which holds "
                         "for one image size only: export the model with a "
                         "fixed input size");
              return SymInt::of(same ||
                                foldSizeSum(ctx, x, y, -1).constant == 0);
            });
}

} // namespace

void addShapeConverters(ConverterTable &table) {
  table["Equal"] = convertShapeEqual;
  table["Shape"] = convertShape;
  table["Gather"] = convertGather;
  table["Slice"] = convertSlice;
  table["Unsqueeze"] = convertUnsqueeze;
  table["Squeeze"] = convertSqueeze;
  table["Cast"] = convertCast;
  table["ConstantOfShape"] = convertConstantOfShape;
}

} // namespace sstep::onnx_import
