//===- TensorVjp.cpp - Gradients of concat, slice and channel shuffle -----===//
//
// Ops that move channels without arithmetic: each gradient element goes back
// to the one input element its forward pass copied, on the operands cropped
// to the output block (cropToOutput).
//
//===----------------------------------------------------------------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Vjp.h"

#include <algorithm>

namespace sstep::reference {
namespace {

/// Concatenation along channels: each operand's channels of the gradient.
std::vector<Tensor> concatVjp(const VjpArgs &a) {
  if (a.node.getInt("axis") != 1)
    throw RuntimeError(a.node.describe() +
                       ": gradients of a concatenation along axis " +
                       std::to_string(a.node.getInt("axis")) +
                       " are not supported (only along channels)");
  std::vector<Tensor> grads(a.in.size());
  Cropped c = cropToOutput(a);
  int64_t n = a.grad.dim(0), channels = a.grad.dim(1);
  int64_t plane = a.grad.dim(2) * a.grad.dim(3), first = 0;
  for (size_t i = 0; i < a.in.size(); ++i) {
    int64_t own = c.operands[i]->dim(1);
    if (a.wanted[i]) {
      Tensor part({n, own, a.grad.dim(2), a.grad.dim(3)});
      for (int64_t b = 0; b < n; ++b)
        std::copy_n(a.grad.data.data() + ((b * channels + first) * plane),
                    own * plane, part.data.data() + (b * own * plane));
      grads[i] = place(a, c, i, part);
    }
    first += own;
  }
  return grads;
}

/// dx at first + k * step along each sliced axis is dy at k; zero between.
std::vector<Tensor> sliceVjp(const VjpArgs &a) {
  std::vector<Tensor> grads(a.in.size());
  if (!a.wanted[0])
    return grads;
  Cropped c = cropToOutput(a);
  const Tensor &x = *c.operands[0];
  auto [base, strides] = sliceView(a.node, x.shape);
  Tensor dx(x.shape);
  for (int64_t i = 0; i < a.grad.size(); ++i)
    dx.data[base + offsetAt(i, a.grad.shape, strides)] = a.grad.data[i];
  grads[0] = place(a, c, 0, dx);
  return grads;
}

/// Input channel i * (C / groups) + j came out as channel j * groups + i.
std::vector<Tensor> channelShuffleVjp(const VjpArgs &a) {
  std::vector<Tensor> grads(a.in.size());
  if (!a.wanted[0])
    return grads;
  Cropped c = cropToOutput(a);
  const int64_t groups = a.node.getInt("groups");
  const Shape &shape = a.grad.shape;
  const int64_t channels = shape[1], per = channels / groups;
  const int64_t plane = shape[2] * shape[3];
  Tensor dx(shape);
  for (int64_t n = 0; n < shape[0]; ++n)
    for (int64_t i = 0; i < groups; ++i)
      for (int64_t j = 0; j < per; ++j)
        std::copy_n(
            a.grad.data.data() + ((n * channels + j * groups + i) * plane),
            plane, dx.data.data() + ((n * channels + i * per + j) * plane));
  grads[0] = place(a, c, 0, dx);
  return grads;
}

} // namespace

void addTensorVjps(VjpTable &table) {
  table["concat"] = concatVjp;
  table["slice"] = sliceVjp;
  table["channel_shuffle"] = channelShuffleVjp;
}

} // namespace sstep::reference
