//===- Unpool.cpp - HoVer-Net's UpSample2x as a nearest resize ------------===//
//
// HoVer-Net upsamples with a tensordot by a matrix of ones:
//
//   u = x.unsqueeze(-1)                                  N x C x H x W x 1
//   t = tensordot(u, ones(1, a, b), dims=1)              N x C x H x W x a x b
//   y = t.permute(0, 1, 2, 4, 3, 5).reshape(-1, C, a*H, b*W)
//
// which torch exports as Unsqueeze -> Reshape(-1, 1) -> Einsum("ij,jk->ik",
// 1 x ab) -> Reshape(sizes of u, a, b) -> Transpose -> Reshape. The first
// Reshape back is sized by another value (u) than its input (the product's
// rows), which SSTEP's reshape cannot state, so it is left pending
// (NodeContext::defer) with the Transpose after it. The last Reshape
// absorbs the chain: y[n, c, a*h + i, b*w + j] = x[n, c, h, w] * m when every
// entry of the matrix is m, a nearest resize by (a, b) with floor(y / a)
// (asymmetric coordinates), times m. Anything else in the chain reports the
// pending message.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace sstep::onnx_import {
namespace {

using Producers = llvm::StringMap<const onnx::NodeProto *>;

const onnx::NodeProto *producer(const Producers &producers,
                                const std::string &name, const char *op) {
  auto it = producers.find(name);
  if (it == producers.end() || it->second->op_type() != op)
    return nullptr;
  return it->second;
}

std::vector<int64_t> intsOf(DenseElementsAttr attr) {
  std::vector<int64_t> values;
  if (isa<IntegerType>(attr.getElementType()))
    for (const APInt &v : attr.getValues<APInt>())
      values.push_back(v.getSExtValue());
  return values;
}

std::vector<int64_t> intsAttrOf(const onnx::NodeProto &node,
                                const std::string &name) {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return std::vector<int64_t>(a.ints().begin(), a.ints().end());
  return {};
}

std::optional<DenseElementsAttr> constantOf(const Scope &scope,
                                            const std::string &name) {
  auto it = scope.constants.find(name);
  if (it == scope.constants.end())
    return std::nullopt;
  return it->second;
}

/// The one value every entry of `attr` holds, if any.
std::optional<double> uniformValue(DenseElementsAttr attr) {
  if (!isa<FloatType>(attr.getElementType()) || attr.getNumElements() == 0)
    return std::nullopt;
  double first = (*attr.getValues<APFloat>().begin()).convertToDouble();
  for (const APFloat &v : attr.getValues<APFloat>())
    if (v.convertToDouble() != first)
      return std::nullopt;
  return first;
}

/// Whether `e` is the size of axis `axis` of `x` or `u` (x with a trailing
/// axis) times `num`, or that size as a known constant.
bool isSize(const SymInt &e, Value x, Value u, int64_t axis, int64_t num) {
  int64_t known = cast<RankedTensorType>(x.getType()).getDimSize(axis);
  if (e.isConstant())
    return !ShapedType::isDynamic(known) && e.constant == known * num;
  return (e.source == x || e.source == u) && e.axis == axis && e.num == num &&
         e.den == 1;
}

/// The pieces of the chain ending at `node`, checked; nullopt when it is
/// not HoVer-Net's unpooling.
struct Unpool {
  Value x;
  int64_t a = 0, b = 0;
  double m = 1.0;
};

std::optional<Unpool> matchUnpool(NodeContext &ctx, const Scope &scope,
                                  const Producers &producers) {
  const onnx::NodeProto &node = ctx.node();
  if (node.op_type() != "Reshape" || node.input_size() < 2)
    return std::nullopt;
  const onnx::NodeProto *transpose =
      producer(producers, node.input(0), "Transpose");
  if (!transpose ||
      intsAttrOf(*transpose, "perm") != std::vector<int64_t>{0, 1, 2, 4, 3, 5})
    return std::nullopt;
  const onnx::NodeProto *unflatten =
      producer(producers, transpose->input(0), "Reshape");
  if (!unflatten)
    return std::nullopt;
  const onnx::NodeProto *product =
      producer(producers, unflatten->input(0), "Einsum");
  if (product) {
    for (const auto &a : product->attribute())
      if (a.name() == "equation" && a.s() != "ij,jk->ik")
        return std::nullopt;
  } else {
    product = producer(producers, unflatten->input(0), "MatMul");
  }
  if (!product)
    return std::nullopt;
  const onnx::NodeProto *flatten =
      producer(producers, product->input(0), "Reshape");
  std::optional<DenseElementsAttr> matrix =
      constantOf(scope, product->input(1));
  if (!flatten || !matrix || matrix->getType().getRank() != 2 ||
      matrix->getType().getDimSize(0) != 1)
    return std::nullopt;
  std::optional<DenseElementsAttr> flatTarget =
      constantOf(scope, flatten->input(1));
  if (!flatTarget || intsOf(*flatTarget) != std::vector<int64_t>{-1, 1})
    return std::nullopt;
  const onnx::NodeProto *unsqueeze =
      producer(producers, flatten->input(0), "Unsqueeze");
  if (!unsqueeze)
    return std::nullopt;
  std::vector<int64_t> axes = intsAttrOf(*unsqueeze, "axes");
  if (unsqueeze->input_size() > 1)
    if (std::optional<DenseElementsAttr> c =
            constantOf(scope, unsqueeze->input(1)))
      axes = intsOf(*c);
  if (axes != std::vector<int64_t>{-1} && axes != std::vector<int64_t>{4})
    return std::nullopt;
  Value x = scope.values.lookup(unsqueeze->input(0));
  Value u = scope.values.lookup(unsqueeze->output(0));
  auto xType = x ? dyn_cast<RankedTensorType>(x.getType()) : nullptr;
  if (!xType || xType.getRank() != 4 || !isa<FloatType>(xType.getElementType()))
    return std::nullopt;

  // Reshape to (sizes of u) x a x b, and to N x C x aH x bW.
  auto unflatTarget = scope.shapes.find(unflatten->input(1));
  std::optional<ShapeExpr> finalTarget = ctx.shapeInput(1);
  if (unflatTarget == scope.shapes.end() || !finalTarget)
    return std::nullopt;
  const std::vector<SymInt> &t = unflatTarget->second.elems;
  const std::vector<SymInt> &f = finalTarget->elems;
  if (t.size() != 6 || f.size() != 4 || !t[4].isConstant() ||
      !t[5].isConstant())
    return std::nullopt;
  Unpool result{x, t[4].constant, t[5].constant, 1.0};
  if (result.a < 1 || result.b < 1 ||
      result.a * result.b != matrix->getType().getDimSize(1))
    return std::nullopt;
  for (int64_t d = 0; d < 4; ++d)
    if (!isSize(t[d], x, u, d, 1))
      return std::nullopt;
  bool batch =
      (f[0].isConstant() && f[0].constant == -1) || isSize(f[0], x, u, 0, 1);
  if (!batch || !isSize(f[1], x, u, 1, 1) || !isSize(f[2], x, u, 2, result.a) ||
      !isSize(f[3], x, u, 3, result.b))
    return std::nullopt;
  std::optional<double> m = uniformValue(*matrix);
  if (!m)
    return std::nullopt;
  result.m = *m;
  return result;
}

} // namespace

bool absorbUnpool(NodeContext &ctx, const Scope &scope,
                  const Producers &producers) {
  std::optional<Unpool> unpool = matchUnpool(ctx, scope, producers);
  if (!unpool)
    return false;
  auto xType = cast<RankedTensorType>(unpool->x.getType());
  SmallVector<int64_t, 4> dims(xType.getShape());
  for (auto [axis, factor] : {std::pair{2, unpool->a}, {3, unpool->b}})
    if (!ShapedType::isDynamic(dims[axis]) &&
        __builtin_mul_overflow(dims[axis], factor, &dims[axis]))
      ctx.fail("the unpooled size overflows");
  auto type = RankedTensorType::get(dims, xType.getElementType());
  OpBuilder &b = ctx.builder();
  Value y = b.create<Resize2DOp>(
      ctx.loc(), type, unpool->x, Value(), b.getStringAttr("nearest"),
      b.getStringAttr("asymmetric"), b.getStringAttr("floor"),
      b.getDenseF64ArrayAttr({double(unpool->a), double(unpool->b)}),
      DenseI64ArrayAttr(), b.getDenseI64ArrayAttr({1, 1, 1, 1}));
  if (unpool->m != 1.0) {
    auto scalarType = RankedTensorType::get({}, xType.getElementType());
    Value m = b.create<arith::ConstantOp>(
        ctx.loc(),
        DenseElementsAttr::get(
            scalarType, b.getFloatAttr(xType.getElementType(), unpool->m)));
    y = b.create<MulOp>(ctx.loc(), type, y, m);
  }
  ctx.setOutput(0, y);
  return true;
}

} // namespace sstep::onnx_import
