//===- NormVjp.cpp - Gradients of layer normalisation and softmax ---------===//
//
// y = x̂ * scale + bias with x̂ = (x - mean) * inv over each group (a pixel's
// channels, for a layer norm over axes [1]). With dx̂ = dy * scale:
//   dx     = inv * (dx̂ - mean(dx̂) - x̂ * mean(dx̂ * x̂))   per group
//   dscale = sum of dy * x̂,   dbias = sum of dy   over what they broadcast
// The statistics are recomputed in fp64 from x as the forward kernel
// computed them (NormGroups.h), so no forward value is kept for them.
//
//===----------------------------------------------------------------------===//

#include "runtime/reference/NormGroups.h"
#include "runtime/reference/Vjp.h"

namespace sstep::reference {
namespace {

std::vector<Tensor> layerNormVjp(const VjpArgs &a) {
  std::vector<Tensor> grads(a.in.size());
  Cropped c = cropToOutput(a);
  const Tensor &x = *c.operands[0];
  const Tensor &dy = a.grad;
  Groups g = groupsOf(a.node, x.shape, a.node.getInts("axes"));
  Tensor scale = broadcastTo(a.node, *c.operands[1], x.shape, "scale");
  const double epsilon = a.node.getFloat("epsilon");
  const bool wantScale = a.wanted[1];
  const bool wantBias = a.in.size() > 2 && a.wanted[2];
  Tensor dx(x.shape), dscale(wantScale ? x.shape : Shape{});
  const double n = double(g.members.size());
  parallelFor(int64_t(g.starts.size()), [&](int64_t k) {
    const int64_t start = g.starts[size_t(k)];
    GroupStats s = groupStats(x, start, g.members, epsilon);
    double sumD = 0, sumDX = 0;
    for (int64_t m : g.members) {
      const int64_t i = start + m;
      double xh = (x.data[i] - s.mean) * s.inv;
      double d = double(dy.data[i]) * scale.data[i];
      sumD += d;
      sumDX += d * xh;
      if (wantScale)
        dscale.data[i] = float(double(dy.data[i]) * xh);
    }
    for (int64_t m : g.members) {
      const int64_t i = start + m;
      double xh = (x.data[i] - s.mean) * s.inv;
      double d = double(dy.data[i]) * scale.data[i];
      dx.data[i] = float(s.inv * (d - sumD / n - xh * sumDX / n));
    }
  });
  if (a.wanted[0])
    grads[0] = place(a, c, 0, std::move(dx));
  if (wantScale)
    grads[1] = place(a, c, 1, std::move(dscale));
  if (wantBias)
    grads[2] = place(a, c, 2, dy);
  return grads;
}

/// y = softmax(x) over a group: dx = y * (dy - sum(dy * y)); y =
/// log_softmax(x): dx = dy - exp(y) * sum(dy). Both from the result alone,
/// sums in fp64.
template <bool Log> std::vector<Tensor> softmaxVjp(const VjpArgs &a) {
  std::vector<Tensor> grads(a.in.size());
  if (!a.wanted[0])
    return grads;
  Cropped c = cropToOutput(a);
  const Tensor &y = a.result, &dy = a.grad;
  Groups g = groupsOf(a.node, y.shape, a.node.getInts("axes"));
  Tensor dx(y.shape);
  parallelFor(int64_t(g.starts.size()), [&](int64_t k) {
    const int64_t start = g.starts[size_t(k)];
    double sum = 0;
    for (int64_t m : g.members)
      sum += Log ? double(dy.data[start + m])
                 : double(dy.data[start + m]) * y.data[start + m];
    for (int64_t m : g.members) {
      const int64_t i = start + m;
      dx.data[i] = Log ? float(dy.data[i] - std::exp(double(y.data[i])) * sum)
                       : float(y.data[i] * (dy.data[i] - sum));
    }
  });
  grads[0] = place(a, c, 0, std::move(dx));
  return grads;
}

} // namespace

void addNormVjps(VjpTable &table) {
  table["layer_norm"] = layerNormVjp;
  table["softmax"] = softmaxVjp<false>;
  table["log_softmax"] = softmaxVjp<true>;
}

} // namespace sstep::reference
