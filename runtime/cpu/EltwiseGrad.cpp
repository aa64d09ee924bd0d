//===- EltwiseGrad.cpp - Activations on oneDNN's eltwise primitives -------===//

#include "runtime/cpu/EltwiseGrad.h"
#include "runtime/cpu/Fusion.h"

namespace sstep::cpu {
namespace {

using dt = memory::data_type;
using tag = memory::format_tag;

/// The activations whose oneDNN backward is PyTorch's, kinks included
/// (leaky_relu's slope at 0, hard_swish's 1.5 at 3): relu is a plane
/// kernel's, and abs's and clip's kinks differ.
std::optional<Eltwise> trainedEltwiseOf(const Node &node) {
  static const char *const ops[] = {"silu", "sigmoid",    "tanh",
                                    "gelu", "hard_swish", "leaky_relu"};
  for (const char *op : ops)
    if (node.op == op)
      return unaryEltwiseOf(node);
  return std::nullopt;
}

std::string keyOf(const char *kind, const Eltwise &e, const memory::dims &d) {
  std::string key = std::string(kind) + "|" + std::to_string(int(e.algorithm)) +
                    "|" + std::to_string(e.alpha) + "|" +
                    std::to_string(e.beta);
  for (auto v : d)
    key += "|" + std::to_string(v);
  return key;
}

/// `t` (holding `from`) over `region`, dense: itself when they agree.
const Tensor &denseOver(const Tensor &t, const Region &from,
                        const Region &region, Tensor &copy) {
  if (from.axes == region.axes)
    return t;
  copy = crop(t, from, region);
  return copy;
}

/// Whether `t` holds `from` and `from` contains `out`.
bool holds(const Tensor &t, const Region &from, const Region &out) {
  return t.rank() == 4 && !t.data.empty() && !out.empty() &&
         from.contains(out) && t.dim(2) == from.axes[0].size() &&
         t.dim(3) == from.axes[1].size();
}

memory::desc planar(const Tensor &t) {
  return {{t.dim(0), t.dim(1), t.dim(2), t.dim(3)}, dt::f32, tag::nchw};
}

dnnl::eltwise_forward::primitive_desc
forwardDesc(Device &device, const Eltwise &e, const memory::desc &md) {
  return {{dnnl::prop_kind::forward_training, e.algorithm, md, e.alpha, e.beta},
          device.engine};
}

memory wrapped(Device &device, const memory::desc &md, const Tensor &t) {
  return memory(md, device.engine, const_cast<float *>(t.data.data()));
}

} // namespace

std::optional<Tensor> eltwiseForward(Device &device, const Node &node,
                                     const Tensor &x, const Region &from,
                                     const Region &out) {
  std::optional<Eltwise> e = trainedEltwiseOf(node);
  if (!e || !holds(x, from, out))
    return std::nullopt;
  Tensor copy;
  const Tensor &src = denseOver(x, from, out, copy);
  memory::desc md = planar(src);
  const Primitive &prim =
      device.primitives.get(keyOf("eltwise-fwd", *e, md.dims()), [&] {
        return Primitive{
            dnnl::eltwise_forward(forwardDesc(device, *e, md)), md, {}, md};
      });
  Tensor y(src.shape);
  prim.primitive.execute(device.stream,
                         {{DNNL_ARG_SRC, wrapped(device, md, src)},
                          {DNNL_ARG_DST, wrapped(device, md, y)}});
  device.stream.wait();
  return y;
}

std::optional<std::vector<Tensor>> eltwiseVjp(Device &device,
                                              const reference::VjpArgs &a) {
  std::optional<Eltwise> e = trainedEltwiseOf(a.node);
  if (!e || a.in.size() != 1 || !a.wanted[0])
    return std::nullopt;
  const Tensor &x = *a.in[0];
  const Region &from = a.placed[0].region, &out = a.out.region;
  if (!holds(x, from, out) ||
      a.grad.shape !=
          Shape{x.dim(0), x.dim(1), out.axes[0].size(), out.axes[1].size()})
    return std::nullopt;
  Tensor copy;
  const Tensor &src = denseOver(x, from, out, copy);
  memory::desc md = planar(src);
  const Primitive &prim =
      device.primitives.get(keyOf("eltwise-bwd", *e, md.dims()), [&] {
        auto hint = forwardDesc(device, *e, md);
        dnnl::eltwise_backward::primitive_desc pd(
            {e->algorithm, md, md, e->alpha, e->beta}, device.engine, hint);
        return Primitive{dnnl::eltwise_backward(pd), md, {}, md};
      });
  Tensor dx(src.shape);
  prim.primitive.execute(device.stream,
                         {{DNNL_ARG_SRC, wrapped(device, md, src)},
                          {DNNL_ARG_DIFF_DST, wrapped(device, md, a.grad)},
                          {DNNL_ARG_DIFF_SRC, wrapped(device, md, dx)}});
  device.stream.wait();
  std::vector<Tensor> grads(1);
  grads[0] = from.axes == out.axes ? std::move(dx)
                                   : reference::embed(std::move(dx), out, from);
  return grads;
}

} // namespace sstep::cpu
