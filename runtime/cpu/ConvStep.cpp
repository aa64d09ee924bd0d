//===- ConvStep.cpp - Convolutions with fused post-ops on oneDNN ----------===//
//
// A block of a convolution's output reads a rectangle of its input; where
// that rectangle leaves the image the block gets oneDNN padding on that
// side only, so an interior tile pads nothing and a border tile pads
// exactly as the whole image does.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/cpu/Cache.h"
#include "runtime/cpu/CpuBackend.h"
#include "runtime/reference/Kernels.h"

#include <algorithm>
#include <optional>

namespace sstep::cpu {
namespace {

using dnnl::algorithm;
using dnnl::prop_kind;
using dt = memory::data_type;
using tag = memory::format_tag;

/// oneDNN's padding dims of one side of a WindowReads.
memory::dims padDims(const std::array<int64_t, 2> &pads) {
  return {pads[0], pads[1]};
}

} // namespace

memory CpuBackend::packedWeights(int id, const memory::desc &layout,
                                 const memory::desc &plain) {
  std::vector<std::pair<memory::desc, memory>> &copies = cache->weights[id];
  for (auto &[desc, mem] : copies)
    if (desc == layout)
      return mem;
  memory packed(layout, device.engine);
  if (!copies.empty()) {
    // Another tile shape took another layout: repack the first copy rather
    // than read the plain weights again.
    dnnl::reorder(copies.front().second, packed)
        .execute(device.stream, copies.front().second, packed);
  } else {
    // Read for this one reorder and dropped after it: a plan's weights are
    // then held once, packed.
    std::shared_ptr<const Tensor> weight =
        program->constants.read(program->nodes[id].operands[1]);
    memory user(plain, device.engine, const_cast<float *>(weight->data.data()));
    ++count.weightReads;
    dnnl::reorder(user, packed).execute(device.stream, user, packed);
    device.stream.wait(); // before `weight` goes
  }
  copies.push_back({layout, packed});
  count.packedWeightBytes += int64_t(layout.get_size());
  return packed;
}

memory CpuBackend::biasOf(int id, int64_t channels) {
  memory &bias = cache->bias[id];
  if (!bias)
    bias = memory(
        memory::desc({channels}, memory::data_type::f32, memory::format_tag::x),
        device.engine,
        const_cast<float *>(whole(program->nodes[id].operands[2]).data.data()));
  return bias;
}

std::optional<Block> CpuBackend::takeDying(int v, const Region &region,
                                           const memory::desc &desc) {
  auto it = tile.find(v);
  if (it == tile.end() || !(it->second.region == region) ||
      it->second.mem.get_desc() != desc || it->second.owner.use_count() != 1)
    return std::nullopt;
  if (!w->keep.empty() && !w->keep[v].empty())
    return std::nullopt; // the tile below reads rows of it
  const std::vector<int> &dying = stageSchedule.releasedAfter[currentStep];
  if (std::find(dying.begin(), dying.end(), v) == dying.end())
    return std::nullopt;
  Block block = std::move(it->second);
  tile.erase(it);
  return block;
}

Block CpuBackend::runConv(const Step &step) {
  const Node &conv = program->nodes[step.nodes[0]];
  int id = step.nodes[0];
  int x = conv.operands[0];
  // Weights computed in the graph or given as an input run on the reference
  // kernels (runNode falls back on a dnnl::error).
  if (!program->constants.contains(conv.operands[1]) ||
      (conv.operands.size() > 2 &&
       !program->constants.contains(conv.operands[2])))
    throw dnnl::error(dnnl_unimplemented, "weights are not constants");
  const Shape &weight = program->constants.shape(conv.operands[1]);
  bool hasBias = conv.operands.size() > 2;
  int64_t groups = conv.getInt("groups");
  WindowAxis axes[2] = {reference::windowAxisOf(conv, weight[2], 0),
                        reference::windowAxisOf(conv, weight[3], 1)};
  const Region &out = w->compute[step.result];
  reference::WindowReads reads = reference::windowReads(out, axes, (*sizes)[x]);
  memory::dims padL = padDims(reads.padBegin), padR = padDims(reads.padEnd);
  const Block &input = blockOf(x);
  if (!input.region.contains(reads.region))
    throw RuntimeError(conv.describe() + ": the tile holds " +
                       formatRegion(input.region) + " of its input but " +
                       formatRegion(out) + " reads " +
                       formatRegion(reads.region));
  memory::dims in = dimsOf(input.dims(), reads.region);
  int64_t o = weight[0];
  memory::dims dst{in[0], o, out.axes[0].size(), out.axes[1].size()};
  memory::dims wdims =
      groups > 1
          ? memory::dims{groups, o / groups, weight[1], weight[2], weight[3]}
          : memory::dims{o, weight[1], weight[2], weight[3]};

  dnnl::post_ops ops;
  std::string signature;
  // Per post-op index: the constant a binary post-op reads.
  std::vector<std::pair<int, int>> binaryOperands;
  for (size_t i = 1; i < step.nodes.size(); ++i) {
    const Node &next = program->nodes[step.nodes[i]];
    if (step.nodes[i] == step.sumNode) {
      ops.append_sum(1.0f);
      signature += "sum,";
    } else if (auto e = eltwiseOf(next, *program)) {
      ops.append_eltwise(1.0f, e->algorithm, e->alpha, e->beta);
      signature += keyOf(int(e->algorithm), e->alpha, e->beta);
    } else {
      ChannelBinary b = *channelBinaryOf(next, *program);
      binaryOperands.push_back({ops.len(), b.constant});
      ops.append_binary(b.algorithm,
                        memory::desc({1, o, 1, 1}, dt::f32, tag::abcd));
      signature += keyOf("bin", int(b.algorithm));
    }
  }
  // Not keyed by node: the convolutions of a ResNet stage share their
  // shapes, and a primitive (its JIT code) takes its weights as an argument.
  memory::dims strides{axes[0].stride, axes[1].stride};
  memory::dims dilates{axes[0].dilation - 1, axes[1].dilation - 1};
  std::string key = keyOf("conv", in, dst, wdims, strides, dilates, padL, padR,
                          hasBias, signature);
  const memory::desc tileDst(dst, dt::f32, blocked);
  const Primitive &prim = device.primitives.get(key, [&] {
    memory::desc bias =
        hasBias ? memory::desc({o}, dt::f32, tag::x) : memory::desc();
    dnnl::primitive_attr attr = userScratchpad();
    attr.set_post_ops(ops);
    auto make = [&](memory::format_tag src, memory::format_tag out) {
      dnnl::convolution_forward::desc d(
          prop_kind::forward_inference, algorithm::convolution_direct,
          memory::desc(in, dt::f32, src),
          memory::desc(wdims, dt::f32, tag::any), bias,
          memory::desc(dst, dt::f32, out), strides, dilates, padL, padR);
      return dnnl::convolution_forward::primitive_desc(d, attr, device.engine);
    };
    // A grouped convolution's source is the tile's blocked layout: left to
    // oneDNN (2.6) it picks a plain one, and then only its reference
    // kernel, 50x slower on MobileNetV2's depthwise convolutions.
    dnnl::convolution_forward::primitive_desc pd =
        make(groups > 1 ? blocked : tag::any, blocked);
    // Some convolutions have no kernel for the tile's layout: groups of 8
    // channels on a 16-channel block (RegNetY), dilations whose padding
    // exceeds the kernel's reach (DeepLabV3's ASPP at rates 12 to 36 on a
    // small map). Their reference kernel ran 20 to 40x slower than running
    // in the layouts oneDNN picks and reordering the result into the
    // tile's (runConv does that when the primitive's destination differs).
    // A fused residual sum must accumulate in the tile's layout: kept.
    if (std::string(pd.impl_info_str()).rfind("ref", 0) == 0 &&
        step.sumValue < 0) {
      dnnl::convolution_forward::primitive_desc other =
          make(tag::any, tag::any);
      if (std::string(other.impl_info_str()).rfind("ref", 0) != 0)
        pd = other;
    }
    return Primitive{dnnl::convolution_forward(pd), pd.src_desc(),
                     pd.weights_desc(), pd.dst_desc()};
  });

  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, extract(device, input, reads.region, prim.src)},
      {DNNL_ARG_WEIGHTS,
       packedWeights(
           id, prim.weights,
           memory::desc(wdims, dt::f32, groups > 1 ? tag::goihw : tag::oihw))}};
  for (auto [index, constant] : binaryOperands)
    args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1] =
        memory(memory::desc({1, o, 1, 1}, dt::f32, tag::abcd), device.engine,
               const_cast<float *>(whole(constant).data.data()));
  if (hasBias)
    args[DNNL_ARG_BIAS] = biasOf(id, o);
  // The sum post-op accumulates onto what the destination holds: the
  // residual's own block when this step is its last reader, else a copy.
  Block result;
  std::optional<Block> taken;
  if (step.sumValue >= 0 && step.sumValue != x)
    taken = takeDying(step.sumValue, out, prim.dst);
  if (taken) {
    result = *taken;
  } else {
    result = newBlock(device, out, prim.dst);
    if (step.sumValue >= 0)
      copyRegion(device, blockOf(step.sumValue), out, result.mem);
  }
  args[DNNL_ARG_DST] = result.mem;
  try {
    execute(device, prim.primitive, args);
  } catch (...) {
    // Refused before it wrote: the residual is as it was.
    if (taken)
      tile[step.sumValue] = std::move(*taken);
    throw;
  }
  count.dnnlNodes += int64_t(step.nodes.size());
  count.inPlaceSums += taken.has_value();
  if (prim.dst != tileDst) {
    // Run in oneDNN's layouts (above): back to the tile's.
    Block converted = newBlock(device, out, tileDst);
    dnnl::reorder(result.mem, converted.mem)
        .execute(device.stream, result.mem, converted.mem);
    return converted;
  }
  return result;
}

} // namespace sstep::cpu
