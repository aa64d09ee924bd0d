//===- WholeTensorOps.cpp - Nodes run once, on oneDNN ---------------------===//
//
// A ViT encoder is one whole-image stage after its patch embedding: token
// matrices (197 x 768 for ViT-B/16), attention by matmuls of two
// activations, softmax and layer norm over the last axis, GELU. The
// reference kernels run them with plain loops (29 s per 224 x 224 patch);
// here they run on oneDNN in plain row-major layouts: matmul (batch
// dimensions broadcast), Gemm with a transposed weight and a bias, softmax,
// layer normalisation over trailing axes, broadcasting binaries and
// element-wise functions, and the token transposes and slices as one
// strided reorder each (the reference's per-element index arithmetic took a
// quarter of ViT-B/16's time). What does not fit returns nothing and stays
// with the reference kernels, which define every op.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/WholeTensorOps.h"

#include "dialects/sstep/IR/ShapeRules.h"
#include "runtime/cpu/Fusion.h"
#include "runtime/reference/Kernels.h"

#include <map>

namespace sstep::cpu {
namespace {

using dt = memory::data_type;

memory::dims toDims(const Shape &shape) {
  return memory::dims(shape.begin(), shape.end());
}

/// Row-major strides of `dims`.
memory::dims rowMajor(const memory::dims &dims) {
  memory::dims strides(dims.size(), 1);
  for (int64_t d = int64_t(dims.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * dims[d + 1];
  return strides;
}

memory::desc plain(const memory::dims &dims) {
  return memory::desc(dims, dt::f32, rowMajor(dims));
}

memory wrap(Device &device, const memory::desc &desc, const Tensor &t) {
  return memory(desc, device.engine, const_cast<float *>(t.data.data()));
}

/// `dims` with leading 1s up to `rank`.
memory::dims padRank(memory::dims dims, size_t rank) {
  dims.insert(dims.begin(), rank - dims.size(), 1);
  return dims;
}

std::string key(const char *op, std::initializer_list<memory::dims> dims,
                const std::string &extra = "") {
  std::ostringstream out;
  out << "whole:" << op << extra;
  for (const memory::dims &d : dims)
    out << "|" << d;
  return out.str();
}

Tensor runPrimitive(Device &device, const Primitive &prim, Shape shape,
                    std::unordered_map<int, memory> args) {
  Tensor out(std::move(shape));
  args[DNNL_ARG_DST] = memory(prim.dst, device.engine, out.data.data());
  prim.primitive.execute(device.stream, args);
  device.stream.wait();
  return out;
}

std::optional<Tensor> matmul(Device &device, const Tensor &a, const Tensor &b,
                             const Tensor *bias, bool transB) {
  if (a.rank() < 2 || b.rank() < 2)
    return std::nullopt; // vector products: the reference's
  size_t rank = std::max(a.rank(), b.rank());
  memory::dims ad = padRank(toDims(a.shape), rank);
  memory::dims bd = padRank(toDims(b.shape), rank);
  memory::dims bStrides = rowMajor(bd);
  if (transB) {
    std::swap(bd[rank - 1], bd[rank - 2]);
    std::swap(bStrides[rank - 1], bStrides[rank - 2]);
  }
  if (ad[rank - 1] != bd[rank - 2])
    return std::nullopt;
  memory::dims od(rank);
  for (size_t d = 0; d + 2 < rank; ++d) {
    if (ad[d] != bd[d] && ad[d] != 1 && bd[d] != 1)
      return std::nullopt;
    od[d] = std::max(ad[d], bd[d]);
  }
  od[rank - 2] = ad[rank - 2];
  od[rank - 1] = bd[rank - 1];
  memory::dims biasDims(rank, 1);
  if (bias) {
    if (bias->size() != od[rank - 1])
      return std::nullopt;
    biasDims[rank - 1] = od[rank - 1];
  }
  memory::desc bDesc(bd, dt::f32, bStrides);
  const Primitive &prim = device.primitives.get(
      key("matmul", {ad, bd, od, bStrides}, bias ? "+bias" : ""), [&] {
        auto d = bias ? dnnl::matmul::desc(plain(ad), bDesc, plain(biasDims),
                                           plain(od))
                      : dnnl::matmul::desc(plain(ad), bDesc, plain(od));
        dnnl::matmul::primitive_desc pd(d, device.engine);
        return Primitive{dnnl::matmul(pd), plain(ad), bDesc, plain(od)};
      });
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, wrap(device, plain(ad), a)},
      {DNNL_ARG_WEIGHTS, wrap(device, bDesc, b)}};
  if (bias)
    args[DNNL_ARG_BIAS] = wrap(device, plain(biasDims), *bias);
  return runPrimitive(device, prim, Shape(od.begin(), od.end()), args);
}

std::optional<Tensor> gemm(Device &device, const Node &node,
                           const std::vector<const Tensor *> &in) {
  if (node.getFloat("alpha") != 1.0f || node.getInt("transA") != 0 ||
      (in.size() > 2 && node.getFloat("beta") != 1.0f))
    return std::nullopt;
  const Tensor *bias = in.size() > 2 ? in[2] : nullptr;
  if (bias && bias->rank() > 1 && bias->size() != bias->shape.back())
    return std::nullopt; // a bias per row as well: the reference's
  return matmul(device, *in[0], *in[1], bias, node.getInt("transB") != 0);
}

int64_t normalAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

std::optional<Tensor> softmax(Device &device, const Node &node, const Tensor &x,
                              bool log) {
  std::vector<int64_t> axes = node.getInts("axes");
  if (axes.size() != 1)
    return std::nullopt;
  int axis = int(normalAxis(axes[0], x.rank()));
  memory::desc desc = plain(toDims(x.shape));
  auto algorithm =
      log ? dnnl::algorithm::softmax_log : dnnl::algorithm::softmax_accurate;
  const Primitive &prim = device.primitives.get(
      key(log ? "log_softmax" : "softmax", {desc.dims()}, std::to_string(axis)),
      [&] {
        dnnl::softmax_v2_forward::desc d(dnnl::prop_kind::forward_inference,
                                         algorithm, desc, desc, axis);
        dnnl::softmax_v2_forward::primitive_desc pd(d, device.engine);
        return Primitive{dnnl::softmax_v2_forward(pd), desc, {}, desc};
      });
  return runPrimitive(device, prim, x.shape,
                      {{DNNL_ARG_SRC, wrap(device, desc, x)}});
}

/// Layer norm over trailing axes, scale and bias one value per normalised
/// element.
std::optional<Tensor> layerNorm(Device &device, const Node &node,
                                const std::vector<const Tensor *> &in) {
  const Tensor &x = *in[0];
  std::vector<int64_t> axes = node.getInts("axes");
  int64_t first = x.rank();
  for (size_t i = 0; i < axes.size(); ++i)
    first = std::min(first, normalAxis(axes[i], x.rank()));
  if (int64_t(axes.size()) != x.rank() - first || first == 0)
    return std::nullopt;
  int64_t inner = 1;
  for (int64_t d = first; d < x.rank(); ++d)
    inner *= x.shape[d];
  for (size_t i = 1; i < in.size(); ++i)
    if (in[i]->size() != inner)
      return std::nullopt;
  memory::desc desc = plain({x.size() / inner, inner});
  memory::desc param = plain({inner});
  const bool shift = in.size() > 2;
  auto flags = dnnl::normalization_flags::use_scale;
  if (shift)
    flags |= dnnl::normalization_flags::use_shift;
  float epsilon = node.getFloat("epsilon");
  const Primitive &prim = device.primitives.get(
      key("layer_norm", {desc.dims()},
          std::to_string(epsilon) + (shift ? "+shift" : "")),
      [&] {
        dnnl::layer_normalization_forward::desc d(
            dnnl::prop_kind::forward_inference, desc, epsilon, flags);
        dnnl::layer_normalization_forward::primitive_desc pd(d, device.engine);
        return Primitive{dnnl::layer_normalization_forward(pd), desc, {}, desc};
      });
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, wrap(device, desc, x)},
      {DNNL_ARG_SCALE, wrap(device, param, *in[1])}};
  if (shift)
    args[DNNL_ARG_SHIFT] = wrap(device, param, *in[2]);
  return runPrimitive(device, prim, x.shape, args);
}

std::optional<Tensor> binary(Device &device, const Node &node, const Tensor &a,
                             const Tensor &b) {
  static const std::map<std::string, dnnl::algorithm> algorithms = {
      {"add", dnnl::algorithm::binary_add},
      {"sub", dnnl::algorithm::binary_sub},
      {"mul", dnnl::algorithm::binary_mul},
      {"div", dnnl::algorithm::binary_div}};
  size_t rank = std::max(a.rank(), b.rank());
  memory::dims ad = padRank(toDims(a.shape), rank);
  memory::dims bd = padRank(toDims(b.shape), rank);
  auto broadcastsTo = [&](const memory::dims &from, const memory::dims &to) {
    for (size_t d = 0; d < rank; ++d)
      if (from[d] != to[d] && from[d] != 1)
        return false;
    return true;
  };
  // oneDNN broadcasts the second operand only; add and mul may swap theirs.
  bool swap = !broadcastsTo(bd, ad) && (node.op == "add" || node.op == "mul");
  const Tensor &x = swap ? b : a, &y = swap ? a : b;
  const memory::dims &xd = swap ? bd : ad, &yd = swap ? ad : bd;
  if (!broadcastsTo(yd, xd))
    return std::nullopt;
  dnnl::algorithm algorithm = algorithms.at(node.op);
  const Primitive &prim =
      device.primitives.get(key("binary", {xd, yd}, node.op), [&] {
        dnnl::binary::desc d(algorithm, plain(xd), plain(yd), plain(xd));
        dnnl::binary::primitive_desc pd(d, device.engine);
        return Primitive{dnnl::binary(pd), plain(xd), plain(yd), plain(xd)};
      });
  return runPrimitive(device, prim, Shape(xd.begin(), xd.end()),
                      {{DNNL_ARG_SRC_0, wrap(device, plain(xd), x)},
                       {DNNL_ARG_SRC_1, wrap(device, plain(yd), y)}});
}

std::optional<Tensor> eltwise(Device &device, const Eltwise &e,
                              const Tensor &x) {
  memory::desc desc = plain({x.size()});
  const Primitive &prim = device.primitives.get(
      key("eltwise", {desc.dims()},
          std::to_string(int(e.algorithm)) + "," + std::to_string(e.alpha) +
              "," + std::to_string(e.beta)),
      [&] {
        dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference,
                                      e.algorithm, desc, e.alpha, e.beta);
        dnnl::eltwise_forward::primitive_desc pd(d, device.engine);
        return Primitive{dnnl::eltwise_forward(pd), desc, {}, desc};
      });
  return runPrimitive(device, prim, x.shape,
                      {{DNNL_ARG_SRC, wrap(device, desc, x)}});
}

/// `out` from `x`'s elements at `base` + index . `strides` (a transpose's
/// permuted strides, a slice's stepped ones): one oneDNN reorder.
std::optional<Tensor> gatherStrided(Device &device, const Tensor &x,
                                    Shape outShape, int64_t base,
                                    const memory::dims &strides) {
  if (outShape.empty())
    return std::nullopt;
  for (int64_t s : strides)
    if (s < 0)
      return std::nullopt; // reversed slices: the reference's
  memory::dims dims = toDims(outShape);
  memory::desc from(dims, dt::f32, strides);
  memory::desc to = plain(dims);
  Tensor out(std::move(outShape));
  memory src(from, device.engine, const_cast<float *>(x.data.data()) + base);
  memory dst(to, device.engine, out.data.data());
  device.primitives.reorder(device.engine, from, to)
      .execute(device.stream, {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
  device.stream.wait();
  return out;
}

std::optional<Tensor> transpose(Device &device, const Node &node,
                                const Tensor &x) {
  const std::vector<int64_t> &perm = node.getInts("perm");
  if (perm.size() != x.shape.size())
    return std::nullopt;
  memory::dims own = rowMajor(toDims(x.shape)), strides;
  Shape shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= x.rank())
      return std::nullopt;
    strides.push_back(own[size_t(p)]);
    shape.push_back(x.shape[size_t(p)]);
  }
  return gatherStrided(device, x, std::move(shape), 0, strides);
}

std::optional<Tensor> slice(Device &device, const Node &node, const Tensor &x) {
  shape::Result rule =
      shape::slice(x.shape, node.getInts("starts"), node.getInts("ends"),
                   node.getInts("axes"), node.getInts("steps"));
  if (!rule.ok())
    return std::nullopt; // the reference kernel names the problem
  Shape shape(rule.dims.begin(), rule.dims.end());
  reference::SliceView view = reference::sliceView(node, x.shape);
  if (numElements(shape) == 0)
    return std::nullopt;
  return gatherStrided(device, x, std::move(shape), view.base,
                       memory::dims(view.strides.begin(), view.strides.end()));
}

} // namespace

std::optional<Tensor> runWholeTensorOp(Device &device, const Program *program,
                                       const Node &node,
                                       const std::vector<const Tensor *> &in) {
  if (node.results.size() != 1)
    return std::nullopt;
  try {
    if (node.op == "matmul")
      return matmul(device, *in[0], *in[1], nullptr, false);
    if (node.op == "gemm")
      return gemm(device, node, in);
    if (node.op == "softmax" || node.op == "log_softmax")
      return softmax(device, node, *in[0], node.op == "log_softmax");
    if (node.op == "layer_norm")
      return layerNorm(device, node, in);
    if (node.op == "transpose")
      return transpose(device, node, *in[0]);
    if (node.op == "slice")
      return slice(device, node, *in[0]);
    if (program)
      if (std::optional<Eltwise> e = eltwiseOf(node, *program))
        return eltwise(device, *e, *in[0]);
    if (in.size() == 2 && (node.op == "add" || node.op == "sub" ||
                           node.op == "mul" || node.op == "div"))
      return binary(device, node, *in[0], *in[1]);
  } catch (const dnnl::error &) {
    // No oneDNN implementation for these shapes: the reference's.
  }
  return std::nullopt;
}

} // namespace sstep::cpu
