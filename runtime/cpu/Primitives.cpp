//===- Primitives.cpp - Pooling, element-wise, binary and concat on oneDNN
//-===//
//
// Each runs on blocks in the backend's blocked layout and writes a block of
// the node's output window. A shape or layout oneDNN cannot do throws
// dnnl::error, and the caller runs the node on the reference kernels.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/cpu/Cache.h"
#include "runtime/cpu/CpuBackend.h"
#include "runtime/reference/Kernels.h"

#include <array>

namespace sstep::cpu {
namespace {

using dnnl::algorithm;
using dnnl::prop_kind;
using dt = memory::data_type;
using tag = memory::format_tag;

void unsupported() {
  throw dnnl::error(dnnl_unimplemented, "no oneDNN mapping");
}

} // namespace

Block CpuBackend::runPool(const Node &node) {
  const auto &kernel = node.getInts("kernel");
  bool max = node.op == "max_pool2d";
  bool countPad = !max && node.getInt("count_include_pad") != 0;
  bool ceil = node.getInt("ceil_mode") != 0;
  if (node.has("dilations"))
    for (int64_t d : node.getInts("dilations"))
      if (d != 1)
        unsupported();
  // oneDNN counts ceil_mode's overhang as padding; ONNX does not. Without
  // it every window lies inside the padded image and both divide by the
  // window's area.
  if (countPad && ceil)
    unsupported();
  const auto &strides = node.getInts("strides");
  const auto &pads = node.getInts("pads");
  int x = node.operands[0];
  const Region &out = w->compute[node.results[0]];
  Size2 image = (*sizes)[x];
  Region reads;
  memory::dims padL(2), padR(2);
  for (int a = 0; a < 2; ++a) {
    int64_t lo = out.axes[a].lo * strides[a] - pads[a];
    int64_t hi = out.axes[a].hi * strides[a] - pads[a] + kernel[a] - 1;
    reads.axes[a] = {std::max<int64_t>(lo, 0),
                     std::min<int64_t>(hi, image[a] - 1)};
    padL[a] = reads.axes[a].lo - lo;
    padR[a] = hi - reads.axes[a].hi;
  }
  const Block &input = blockOf(x);
  memory::dims in = dimsOf(input.dims(), reads);
  memory::dims dst = dimsOf(input.dims(), out);
  std::string key = keyOf("pool", node.op, countPad, in, dst, padL, padR,
                          kernel[0], kernel[1], strides[0], strides[1]);
  const Primitive &prim = device.primitives.get(key, [&] {
    algorithm alg = max        ? algorithm::pooling_max
                    : countPad ? algorithm::pooling_avg_include_padding
                               : algorithm::pooling_avg_exclude_padding;
    memory::desc src(in, dt::f32, blocked), to(dst, dt::f32, blocked);
    dnnl::pooling_v2_forward::desc d(
        prop_kind::forward_inference, alg, src, to, {strides[0], strides[1]},
        {kernel[0], kernel[1]}, {0, 0}, padL, padR);
    dnnl::pooling_v2_forward::primitive_desc pd(d, userScratchpad(),
                                                device.engine);
    return Primitive{dnnl::pooling_v2_forward(pd), src, {}, to};
  });
  Block result = newBlock(device, out, prim.dst);
  execute(device, prim.primitive,
          {{DNNL_ARG_SRC, extract(device, input, reads, prim.src)},
           {DNNL_ARG_DST, result.mem}});
  ++count.dnnlNodes;
  return result;
}

Block CpuBackend::runEltwise(const Node &node, const Eltwise &e) {
  const Region &out = w->compute[node.results[0]];
  const Block &input = blockOf(node.operands[0]);
  // An element-wise op keeps its input's layout: the plain NCHW of a
  // 3-channel image is 8/3 times smaller than it blocked, and the planner
  // (CpuTileModel) counts it so.
  memory::desc desc = layoutOver(input, out);
  // On a layout whose channels are padded to the block size, oneDNN runs an
  // op that does not map 0 to 0 (log, exp, x + c, ...) through its slow
  // reference kernel to keep the padding zero (the ten times slower path a
  // 3-channel RGB input takes). Run it on the flat buffer with the fast
  // kernel instead, and zero the padding after.
  bool padded = hasChannelPadding(desc);
  memory::desc run =
      padded ? memory::desc({memory::dim(desc.get_size() / sizeof(float))},
                            dt::f32, memory::format_tag::a)
             : desc;
  const dnnl_blocking_desc_t &layout = run.data.format_desc.blocking;
  std::string key =
      keyOf("eltwise", int(e.algorithm), e.alpha, e.beta, run.dims(),
            memory::dims(layout.strides, layout.strides + run.data.ndims),
            layout.inner_nblks ? layout.inner_blks[0] : 0);
  const Primitive &prim = device.primitives.get(key, [&] {
    dnnl::eltwise_forward::desc d(prop_kind::forward_inference, e.algorithm,
                                  run, e.alpha, e.beta);
    dnnl::eltwise_forward::primitive_desc pd(d, userScratchpad(),
                                             device.engine);
    return Primitive{dnnl::eltwise_forward(pd), run, {}, run};
  });
  Block result = newBlock(device, out, desc);
  memory src = extract(device, input, out, desc);
  execute(device, prim.primitive,
          {{DNNL_ARG_SRC, memory(run, device.engine, src.get_data_handle())},
           {DNNL_ARG_DST,
            memory(run, device.engine, result.mem.get_data_handle())}});
  if (padded) {
    device.stream.wait();
    zeroChannelPadding(result.mem);
  }
  ++count.dnnlNodes;
  return result;
}

Block CpuBackend::runBinary(const Node &node) {
  const Region &out = w->compute[node.results[0]];
  Size2 image = (*sizes)[node.results[0]];
  std::vector<memory> srcs;
  std::vector<Tensor> small;
  small.reserve(2); // srcs point into it
  memory::dims dst;
  // oneDNN broadcasts its second source only: a squeeze-and-excitation
  // gate multiplied from the left (mul(gate, x)) is taken from the right,
  // which add and mul allow.
  std::array<size_t, 2> order{0, 1};
  auto full = [&](size_t i) {
    return node.window->spatial[i] && (*sizes)[node.operands[i]] == image;
  };
  if ((node.op == "add" || node.op == "mul") && !full(0) && full(1))
    order = {1, 0};
  for (size_t i : order) {
    int v = node.operands[i];
    if (full(i)) {
      const Block &b = blockOf(v);
      memory::desc desc(dimsOf(b.dims(), out), dt::f32, blocked);
      srcs.push_back(extract(device, b, out, desc));
      dst = desc.dims();
      continue;
    }
    // A per-channel or scalar operand, broadcast by oneDNN: only as the
    // second operand (sub and div are not symmetric) and at most 4-D.
    if (i == order[0])
      unsupported();
    const Tensor &t =
        node.window->spatial[i]
            ? small.emplace_back(toTensor(device, blockOf(v), w->compute[v]))
            : whole(v);
    if (t.rank() > 4)
      unsupported();
    memory::dims dims(4 - t.rank(), 1);
    for (int64_t d : t.shape)
      dims.push_back(d);
    memory plain(plainDesc(dims), device.engine,
                 const_cast<float *>(t.data.data()));
    // One value per channel goes in the tile's blocked layout too: with a
    // plain 1 x C x 1 x 1 operand oneDNN 2.6 runs its reference kernel
    // (DenseNet's pre-activation BatchNorm, a mul and an add on every
    // concatenation, ran 10x slower than PyTorch's).
    if (!dst.empty() && dims == memory::dims{1, dst[1], 1, 1}) {
      memory blockedValues(memory::desc(dims, dt::f32, blocked), device.engine);
      dnnl::reorder(plain, blockedValues)
          .execute(device.stream, plain, blockedValues);
      srcs.push_back(blockedValues);
    } else {
      srcs.push_back(plain);
    }
  }
  if (dst.empty())
    unsupported();
  algorithm alg = node.op == "add"   ? algorithm::binary_add
                  : node.op == "sub" ? algorithm::binary_sub
                  : node.op == "mul" ? algorithm::binary_mul
                                     : algorithm::binary_div;
  memory::desc to(dst, dt::f32, blocked);
  memory::desc src1 = srcs[1].get_desc();
  std::string key =
      keyOf("binary", int(alg), dst, src1.dims(),
            src1 == to                                            ? "blocked"
            : src1 == memory::desc(src1.dims(), dt::f32, blocked) ? "channels"
                                                                  : "plain");
  const Primitive &prim = device.primitives.get(key, [&] {
    dnnl::binary::desc d(alg, srcs[0].get_desc(), src1, to);
    dnnl::binary::primitive_desc pd(d, userScratchpad(), device.engine);
    return Primitive{dnnl::binary(pd), to, {}, to};
  });
  Block result = newBlock(device, out, to);
  execute(device, prim.primitive,
          {{DNNL_ARG_SRC_0, srcs[0]},
           {DNNL_ARG_SRC_1, srcs[1]},
           {DNNL_ARG_DST, result.mem}});
  ++count.dnnlNodes;
  return result;
}

Block CpuBackend::runConcat(const Node &node) {
  if (node.getInt("axis") != 1)
    unsupported();
  const Region &out = w->compute[node.results[0]];
  Size2 image = (*sizes)[node.results[0]];
  std::vector<memory::desc> descs;
  std::vector<memory> srcs;
  for (size_t i = 0; i < node.operands.size(); ++i) {
    int v = node.operands[i];
    if (!node.window->spatial[i] || (*sizes)[v] != image)
      unsupported();
    const Block &b = blockOf(v);
    memory::desc desc(dimsOf(b.dims(), out), dt::f32, blocked);
    srcs.push_back(extract(device, b, out, desc));
    descs.push_back(desc);
  }
  memory::dims dst = descs[0].dims();
  dst[1] = 0;
  for (const auto &d : descs)
    dst[1] += d.dims()[1];
  memory::desc to(dst, dt::f32, blocked);
  std::string key = keyOf("concat", descKey(to));
  for (const auto &d : descs)
    key += descKey(d) + "|";
  const Primitive &prim = device.primitives.get(key, [&] {
    dnnl::concat::primitive_desc pd(to, 1, descs, device.engine,
                                    userScratchpad());
    return Primitive{dnnl::concat(pd), {}, {}, to};
  });
  Block result = newBlock(device, out, to);
  std::unordered_map<int, memory> args{{DNNL_ARG_DST, result.mem}};
  for (size_t i = 0; i < srcs.size(); ++i)
    args[DNNL_ARG_MULTIPLE_SRC + int(i)] = srcs[i];
  execute(device, prim.primitive, args);
  ++count.dnnlNodes;
  return result;
}

} // namespace sstep::cpu
