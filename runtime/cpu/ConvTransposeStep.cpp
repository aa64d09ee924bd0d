//===- ConvTransposeStep.cpp - Transposed convolutions on oneDNN ----------===//
//
// A U-Net's up-convolution (ConvTranspose) as oneDNN's deconvolution over
// the input rows and columns that reach the block. Output pixel y gets input
// i through tap t where y = i*s - p + d*t; on the input interval [a, b] that
// reaches the block's [lo, hi], oneDNN's local output is y - lo when its
// padding is lo + p - a*s before and b*s - p + d*(k-1) - hi after, both of
// which crop. A block whose padding would be negative (an output padding
// past the last input's reach) stays with the reference kernel.
//
// Example: k = 2, s = 2, p = 0, block [5, 8]: inputs [2, 4], padding 1
// before (output 4 cropped) and 1 after (output 9 cropped).
//
//===----------------------------------------------------------------------===//

#include "dialects/sstep/IR/SpatialRules.h"
#include "runtime/cpu/CpuBackend.h"
#include "runtime/reference/Kernels.h"

#include <unordered_map>

namespace sstep::cpu {

Block CpuBackend::runConvTranspose(const Node &node) {
  using dt = memory::data_type;
  using tag = memory::format_tag;
  auto unsupported = [] {
    throw dnnl::error(dnnl_unimplemented, "no deconvolution for this block");
  };
  const int id = int(&node - program->nodes.data());
  const int x = node.operands[0];
  const bool hasBias = node.operands.size() > 2;
  if (!program->constants.contains(node.operands[1]) ||
      (hasBias && !program->constants.contains(node.operands[2])))
    unsupported();
  // ONNX's weight: input channels x output channels per group x kH x kW.
  const Shape &weight = program->constants.shape(node.operands[1]);
  const int64_t groups = node.getInt("groups");
  const int64_t oc = weight[1] * groups;
  const Region &out = w->compute[node.results[0]];
  const Block &input = blockOf(x);
  Region reads;
  memory::dims padL(2), padR(2), strides(2), dilates(2);
  for (unsigned axis = 0; axis < 2; ++axis) {
    WindowAxis a = reference::windowAxisOf(node, weight[2 + axis], int(axis));
    Interval in = transposedInputInterval(out.axes[axis], a)
                      .intersect({0, (*sizes)[x][axis] - 1});
    if (in.empty())
      unsupported(); // bias alone: the reference kernel's
    const int64_t lo = out.axes[axis].lo, hi = out.axes[axis].hi;
    padL[axis] = lo + a.padBegin - in.lo * a.stride;
    padR[axis] = in.hi * a.stride - a.padBegin + a.extent() - 1 - hi;
    if (padL[axis] < 0 || padR[axis] < 0)
      unsupported();
    reads.axes[axis] = in;
    strides[axis] = a.stride;
    dilates[axis] = a.dilation - 1;
  }
  if (!input.region.contains(reads))
    unsupported();
  memory::dims in = dimsOf(input.dims(), reads);
  memory::dims dst{in[0], oc, out.axes[0].size(), out.axes[1].size()};
  memory::dims wdims = groups > 1
                           ? memory::dims{groups, weight[1], weight[0] / groups,
                                          weight[2], weight[3]}
                           : memory::dims{oc, weight[0], weight[2], weight[3]};
  const memory::desc tileDst(dst, dt::f32, blocked);
  std::string key =
      keyOf("deconv", in, dst, wdims, strides, dilates, padL, padR, hasBias);
  const Primitive &prim = device.primitives.get(key, [&] {
    memory::desc bias =
        hasBias ? memory::desc({oc}, dt::f32, tag::x) : memory::desc();
    dnnl::deconvolution_forward::desc d(dnnl::prop_kind::forward_inference,
                                        dnnl::algorithm::deconvolution_direct,
                                        memory::desc(in, dt::f32, tag::any),
                                        memory::desc(wdims, dt::f32, tag::any),
                                        bias, tileDst, strides, dilates, padL,
                                        padR);
    dnnl::deconvolution_forward::primitive_desc pd(d, userScratchpad(),
                                                   device.engine);
    return Primitive{dnnl::deconvolution_forward(pd), pd.src_desc(),
                     pd.weights_desc(), pd.dst_desc()};
  });
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, extract(device, input, reads, prim.src)},
      {DNNL_ARG_WEIGHTS,
       packedWeights(
           id, prim.weights,
           memory::desc(wdims, dt::f32, groups > 1 ? tag::giohw : tag::iohw))}};
  if (hasBias)
    args[DNNL_ARG_BIAS] = biasOf(id, oc);
  Block result = newBlock(device, out, prim.dst);
  args[DNNL_ARG_DST] = result.mem;
  execute(device, prim.primitive, args);
  ++count.dnnlNodes;
  return result;
}

} // namespace sstep::cpu
