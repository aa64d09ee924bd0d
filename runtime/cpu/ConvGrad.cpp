//===- ConvGrad.cpp - The cpu backend's gradient kernels ------------------===//
//
// One convolution over one tile, three ways: forward (training), backward
// data and backward weights, sharing one geometry: the input rectangle the
// output block reads and the padding where it leaves the image. The blocks
// arrive and leave as NCHW tensors; oneDNN picks its own layouts (tag::any)
// and the operands are reordered into them.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/ConvGrad.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/cpu/EltwiseGrad.h"
#include "runtime/cpu/PointwiseGrad.h"
#include "runtime/cpu/PoolGrad.h"
#include "runtime/cpu/Threads.h"
#include "runtime/reference/Kernels.h"

#include <optional>

namespace sstep::cpu {
namespace {

using dnnl::algorithm;
using dnnl::prop_kind;
using dt = memory::data_type;
using tag = memory::format_tag;

/// What a convolution over one output block needs from oneDNN.
struct ConvShape {
  reference::WindowReads reads;
  memory::dims src, weights, dst, bias, strides, dilates, padL, padR;
  bool hasBias = false;
  tag weightTag = tag::oihw;

  memory::desc any(const memory::dims &dims) const {
    return memory::desc(dims, dt::f32, tag::any);
  }
  std::string key() const {
    return keyOf(src, weights, dst, strides, dilates, padL, padR, hasBias);
  }
};

/// The geometry of `conv` computing `out` from a block placed at `in`;
/// nullopt when the block or the output is empty (the reference handles
/// those border cases).
std::optional<ConvShape> shapeOf(const Node &conv, const Shape &weight,
                                 int64_t n, int64_t c, const Placed &in,
                                 const Region &out, bool hasBias) {
  if (out.empty() || in.region.empty())
    return std::nullopt;
  ConvShape s;
  WindowAxis axes[2] = {reference::windowAxisOf(conv, weight[2], 0),
                        reference::windowAxisOf(conv, weight[3], 1)};
  s.reads = reference::windowReads(out, axes, in.image);
  if (s.reads.region.empty() || !in.region.contains(s.reads.region))
    return std::nullopt;
  int64_t groups = conv.getInt("groups");
  s.src = {n, c, s.reads.region.axes[0].size(), s.reads.region.axes[1].size()};
  s.dst = {n, weight[0], out.axes[0].size(), out.axes[1].size()};
  s.weights = groups > 1
                  ? memory::dims{groups, weight[0] / groups, weight[1],
                                 weight[2], weight[3]}
                  : memory::dims{weight[0], weight[1], weight[2], weight[3]};
  s.weightTag = groups > 1 ? tag::goihw : tag::oihw;
  s.bias = {weight[0]};
  s.hasBias = hasBias;
  s.strides = {axes[0].stride, axes[1].stride};
  s.dilates = {axes[0].dilation - 1, axes[1].dilation - 1};
  s.padL = {s.reads.padBegin[0], s.reads.padBegin[1]};
  s.padR = {s.reads.padEnd[0], s.reads.padEnd[1]};
  return s;
}

dnnl::convolution_forward::primitive_desc forwardDesc(const ConvShape &s,
                                                      const dnnl::engine &e) {
  memory::desc bias =
      s.hasBias ? memory::desc(s.bias, dt::f32, tag::x) : memory::desc();
  return {{prop_kind::forward_training, algorithm::convolution_direct,
           s.any(s.src), s.any(s.weights), bias, s.any(s.dst), s.strides,
           s.dilates, s.padL, s.padR},
          userScratchpad(),
          e};
}

/// `user` in layout `want`: itself, or a copy reordered into a pool buffer
/// (held until the step ends).
memory inLayout(Device &device, memory user, const memory::desc &want) {
  if (user.get_desc() == want)
    return user;
  memory to = scratchMemory(device, want);
  device.primitives.reorder(device.engine, user.get_desc(), want)
      .execute(device.stream, {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, to}});
  return to;
}

memory wrap(Device &device, const memory::dims &dims, tag layout,
            const float *data) {
  return memory(memory::desc(dims, dt::f32, layout), device.engine,
                const_cast<float *>(data));
}

/// The part of NCHW block `t` (covering `from`) over `region`, in place:
/// a strided view, so that the one reorder into oneDNN's layout reads it
/// without a cropped copy first.
memory viewOf(Device &device, const Tensor &t, const Region &from,
              const Region &region) {
  memory::dims dims = {t.dim(0), t.dim(1), region.axes[0].size(),
                       region.axes[1].size()};
  memory::dims strides = {t.dim(1) * t.dim(2) * t.dim(3), t.dim(2) * t.dim(3),
                          t.dim(3), 1};
  int64_t offset = (region.axes[0].lo - from.axes[0].lo) * t.dim(3) +
                   (region.axes[1].lo - from.axes[1].lo);
  return memory(memory::desc(dims, dt::f32, strides), device.engine,
                const_cast<float *>(t.data.data() + offset));
}

/// `from` (any layout) as a new NCHW tensor over `block`, zero outside
/// `region`, which `from` covers: reordered straight into place.
Tensor toPlain(Device &device, memory from, const Region &region,
               const Region &block) {
  memory::dims dims = from.get_desc().dims();
  Tensor t({dims[0], dims[1], block.axes[0].size(), block.axes[1].size()});
  memory to = viewOf(device, t, block, region);
  device.primitives.reorder(device.engine, from.get_desc(), to.get_desc())
      .execute(device.stream, {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
  return t;
}

/// Pool buffers a step reordered into go back when the step ends.
struct ScratchScope {
  Device &device;
  ~ScratchScope() { device.scratch.clear(); }
};

} // namespace

ConvGrad::ConvGrad(int threads) : threads(threads) {}

void ConvGrad::useThreads() const { cpu::useThreads(threads); }

std::optional<Tensor> ConvGrad::pointwise(const Node &node,
                                          const plan::TileWindows &w,
                                          const train::BlockFn &blockOf,
                                          const train::BlockFn &wholeOf) {
  std::vector<PointwiseOperand> in;
  for (size_t i = 0; i < node.operands.size(); ++i) {
    int v = node.operands[i];
    bool spatial = node.window->spatial[i];
    in.push_back({spatial ? &blockOf(v) : &wholeOf(v), spatial,
                  spatial ? w.compute[v] : Region()});
  }
  return pointwiseForward(node, in, w.compute[node.results[0]]);
}

Tensor ConvGrad::forward(const Node &node, const Program &program,
                         const plan::Sizes &sizes, const plan::TileWindows &w,
                         const train::BlockFn &blockOf,
                         const train::BlockFn &wholeOf) {
  useThreads();
  if (std::optional<Tensor> t = pointwise(node, w, blockOf, wholeOf))
    return std::move(*t);
  if (node.operands.size() == 1 && node.window && node.window->spatial[0]) {
    int x = node.operands[0];
    if (std::optional<Tensor> t = eltwiseForward(
            device, node, blockOf(x), w.compute[x], w.compute[node.results[0]]))
      return std::move(*t);
  }
  int x = node.operands[0];
  if (node.op == "max_pool2d")
    if (std::optional<Tensor> t = maxPoolForward(
            node, blockOf(x), {w.compute[x], sizes[x]},
            {w.compute[node.results[0]], sizes[node.results[0]]}))
      return std::move(*t);
  std::optional<ConvShape> s;
  if (node.op == "conv2d" && program.constants.contains(node.operands[1])) {
    const Tensor &input = blockOf(x);
    s = shapeOf(node, program.constants.shape(node.operands[1]), input.dim(0),
                input.dim(1), {w.compute[x], sizes[x]},
                w.compute[node.results[0]], node.operands.size() > 2);
  }
  if (!s) {
    if (node.op == "conv2d")
      ++fallbacks;
    return GradKernels::forward(node, program, sizes, w, blockOf, wholeOf);
  }
  const Tensor &weight = wholeOf(node.operands[1]);
  ScratchScope scope{device};
  try {
    Primitive prim = device.primitives.get("fwd|" + s->key(), [&] {
      auto pd = forwardDesc(*s, device.engine);
      return Primitive{dnnl::convolution_forward(pd), pd.src_desc(),
                       pd.weights_desc(), pd.dst_desc()};
    });
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC,
         inLayout(device,
                  viewOf(device, blockOf(x), w.compute[x], s->reads.region),
                  prim.src)},
        {DNNL_ARG_WEIGHTS,
         inLayout(device,
                  wrap(device, s->weights, s->weightTag, weight.data.data()),
                  prim.weights)},
        {DNNL_ARG_DST, scratchMemory(device, prim.dst)}};
    if (s->hasBias)
      args[DNNL_ARG_BIAS] =
          wrap(device, s->bias, tag::x, wholeOf(node.operands[2]).data.data());
    execute(device, prim.primitive, args);
    const Region &result = w.compute[node.results[0]];
    Tensor out = toPlain(device, args[DNNL_ARG_DST], result, result);
    device.stream.wait();
    ++onednn;
    return out;
  } catch (const dnnl::error &) {
    ++fallbacks;
    return GradKernels::forward(node, program, sizes, w, blockOf, wholeOf);
  }
}

std::vector<Tensor> ConvGrad::vjp(const reference::VjpArgs &a) {
  useThreads();
  if (auto grads = pointwiseVjp(a))
    return std::move(*grads);
  if (auto grads = eltwiseVjp(device, a))
    return std::move(*grads);
  if (auto grads = maxPoolVjp(a))
    return std::move(*grads);
  std::optional<ConvShape> s;
  if (a.node.op == "conv2d")
    s = shapeOf(a.node, a.in[1]->shape, a.in[0]->dim(0), a.in[0]->dim(1),
                a.placed[0], a.out.region, a.in.size() > 2);
  if (!s)
    return GradKernels::vjp(a);
  std::vector<Tensor> grads(a.in.size());
  ScratchScope scope{device};
  try {
    Primitive data = device.primitives.get("bwd-data|" + s->key(), [&] {
      auto hint = forwardDesc(*s, device.engine);
      dnnl::convolution_backward_data::primitive_desc pd(
          {algorithm::convolution_direct, s->any(s->src), s->any(s->weights),
           s->any(s->dst), s->strides, s->dilates, s->padL, s->padR},
          userScratchpad(), device.engine, hint);
      return Primitive{dnnl::convolution_backward_data(pd), pd.diff_src_desc(),
                       pd.weights_desc(), pd.diff_dst_desc()};
    });
    Primitive weights = device.primitives.get("bwd-weights|" + s->key(), [&] {
      auto hint = forwardDesc(*s, device.engine);
      memory::desc bias =
          s->hasBias ? memory::desc(s->bias, dt::f32, tag::x) : memory::desc();
      dnnl::convolution_backward_weights::primitive_desc pd(
          {algorithm::convolution_direct, s->any(s->src), s->any(s->weights),
           bias, s->any(s->dst), s->strides, s->dilates, s->padL, s->padR},
          userScratchpad(), device.engine, hint);
      return Primitive{dnnl::convolution_backward_weights(pd), pd.src_desc(),
                       pd.diff_weights_desc(), pd.diff_dst_desc()};
    });
    memory dyUser = wrap(device, s->dst, tag::nchw, a.grad.data.data());
    // Both primitives usually want dy in the same blocked layout: reorder
    // it once.
    std::optional<memory> dyLaidOut;
    auto dyIn = [&](const memory::desc &want) {
      if (!dyLaidOut || dyLaidOut->get_desc() != want)
        dyLaidOut = inLayout(device, dyUser, want);
      return *dyLaidOut;
    };
    if (a.wanted[0]) {
      memory dx = scratchMemory(device, data.src);
      execute(
          device, data.primitive,
          {{DNNL_ARG_DIFF_DST, dyIn(data.dst)},
           {DNNL_ARG_WEIGHTS, inLayout(device,
                                       wrap(device, s->weights, s->weightTag,
                                            a.in[1]->data.data()),
                                       data.weights)},
           {DNNL_ARG_DIFF_SRC, dx}});
      grads[0] = toPlain(device, dx, s->reads.region, a.placed[0].region);
    }
    bool wantBias = s->hasBias && a.wanted[2];
    if (a.wanted[1] || wantBias) {
      memory dw = scratchMemory(device, weights.weights);
      Tensor db(Shape{s->bias[0]});
      std::unordered_map<int, memory> args{
          {DNNL_ARG_SRC, inLayout(device,
                                  viewOf(device, *a.in[0], a.placed[0].region,
                                         s->reads.region),
                                  weights.src)},
          {DNNL_ARG_DIFF_DST, dyIn(weights.dst)},
          {DNNL_ARG_DIFF_WEIGHTS, dw}};
      if (s->hasBias)
        args[DNNL_ARG_DIFF_BIAS] =
            wrap(device, s->bias, tag::x, db.data.data());
      execute(device, weights.primitive, args);
      if (a.wanted[1]) {
        Tensor plainW(a.in[1]->shape);
        memory user =
            wrap(device, s->weights, s->weightTag, plainW.data.data());
        device.primitives.reorder(device.engine, dw.get_desc(), user.get_desc())
            .execute(device.stream, {{DNNL_ARG_FROM, dw}, {DNNL_ARG_TO, user}});
        grads[1] = std::move(plainW);
      }
      if (wantBias)
        grads[2] = Tensor(a.in[2]->shape, std::move(db.data));
    }
    device.stream.wait();
    ++onednn;
    return grads;
  } catch (const dnnl::error &) {
    ++fallbacks;
    return GradKernels::vjp(a);
  }
}

} // namespace sstep::cpu
