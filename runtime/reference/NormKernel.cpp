//===- NormKernel.cpp - Reference softmax and normalisations --------------===//
//
// Every op here normalises groups of elements: those that differ only along
// the normalised axes. A group is a start offset plus member offsets, shared
// by all groups. Statistics are fp64; softmax subtracts the group's maximum
// before exponentiating; variances are biased (divided by the group size).
//
//===----------------------------------------------------------------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/reference/NormGroups.h"

#include <cmath>
#include <limits>

namespace sstep::reference {
namespace {

/// Offsets of every index combination over the axes where `pick` holds,
/// indices along the other axes being 0.
std::vector<int64_t> offsetsOver(const Shape &shape,
                                 const std::vector<bool> &pick) {
  std::vector<int64_t> own = stridesOf(shape), strides;
  Shape sub;
  for (size_t d = 0; d < shape.size(); ++d)
    if (pick[d]) {
      sub.push_back(shape[d]);
      strides.push_back(own[d]);
    }
  std::vector<int64_t> offsets(numElements(sub));
  for (int64_t i = 0; i < int64_t(offsets.size()); ++i)
    offsets[i] = offsetAt(i, sub, strides);
  return offsets;
}

template <bool Log>
std::vector<Tensor> softmax(const Node &node, const Operands &in) {
  const Tensor &x = *in[0];
  Groups g = groupsOf(node, x.shape, node.getInts("axes"));
  Tensor out(x.shape);
  for (int64_t start : g.starts) {
    double max = -std::numeric_limits<double>::infinity(), sum = 0;
    for (int64_t m : g.members)
      max = std::max<double>(max, x.data[start + m]);
    for (int64_t m : g.members)
      sum += std::exp(x.data[start + m] - max);
    for (int64_t m : g.members) {
      double shifted = x.data[start + m] - max;
      out.data[start + m] = static_cast<float>(Log ? shifted - std::log(sum)
                                                   : std::exp(shifted) / sum);
    }
  }
  return {std::move(out)};
}

/// (x - mean) / sqrt(var + epsilon) over one group, then `affine(offset, y)`.
template <typename Affine>
void normalise(const Tensor &x, Tensor &out, int64_t start,
               const std::vector<int64_t> &members, double epsilon,
               Affine affine) {
  GroupStats s = groupStats(x, start, members, epsilon);
  for (int64_t m : members)
    out.data[start + m] = static_cast<float>(
        affine(start + m, (x.data[start + m] - s.mean) * s.inv));
}

std::vector<Tensor> layerNorm(const Node &node, const Operands &in) {
  const Tensor &x = *in[0];
  Groups g = groupsOf(node, x.shape, node.getInts("axes"));
  Tensor scale = broadcastTo(node, *in[1], x.shape, "scale");
  Tensor bias = in.size() > 2 ? broadcastTo(node, *in[2], x.shape, "bias")
                              : Tensor(x.shape);
  Tensor out(x.shape);
  for (int64_t start : g.starts)
    normalise(
        x, out, start, g.members, node.getFloat("epsilon"),
        [&](int64_t i, double y) { return y * scale.data[i] + bias.data[i]; });
  return {std::move(out)};
}

/// Per group, in row-major order of the kept dimensions: its mean and
/// 1 / sqrt(variance + epsilon).
std::vector<Tensor> normStats(const Node &node, const Operands &in) {
  const Tensor &x = *in[0];
  const std::vector<int64_t> &axes = node.getInts("axes");
  Groups g = groupsOf(node, x.shape, axes);
  Shape kept = x.shape;
  for (int64_t a : axes)
    kept[a] = 1;
  Tensor mean(kept), inv(kept);
  const double epsilon = node.getFloat("epsilon");
  for (size_t k = 0; k < g.starts.size(); ++k) {
    GroupStats s = groupStats(x, g.starts[k], g.members, epsilon);
    mean.data[k] = float(s.mean);
    inv.data[k] = float(s.inv);
  }
  return {std::move(mean), std::move(inv)};
}

std::vector<Tensor> instanceNorm(const Node &node, const Operands &in) {
  const Tensor &x = *in[0], &scale = *in[1], &bias = *in[2];
  if (x.rank() < 3 || scale.shape != Shape{x.dim(1)} ||
      bias.shape != Shape{x.dim(1)})
    throw RuntimeError(node.describe() + ": input " + formatShape(x.shape) +
                       " does not match scale " + formatShape(scale.shape) +
                       " and bias " + formatShape(bias.shape));
  // Group norm's groups of channels are contiguous in NCHW: the input seen
  // as N x G x (C / G) x D1 x ... normalises over every axis from 2 on.
  const int64_t channels = x.dim(1);
  const int64_t groups = node.has("groups") && node.getInt("groups") > 0
                             ? node.getInt("groups")
                             : channels;
  if (channels % groups != 0)
    throw RuntimeError(node.describe() + ": " + std::to_string(groups) +
                       " groups do not divide " + std::to_string(channels) +
                       " channels");
  // Each (batch, group) is one contiguous run of NCHW: the statistics and
  // the affine walk it directly, in the order groupStats and normalise
  // would (the same fp64 sums, the same results), without their offset
  // tables (C/G x H x W entries each).
  const int64_t plane = stridesOf(x.shape)[1];
  const int64_t perGroup = channels / groups, length = perGroup * plane;
  const double epsilon = node.getFloat("epsilon");
  Tensor out(x.shape);
  for (int64_t start = 0; length > 0 && start < x.size(); start += length) {
    const float *group = x.data.data() + start;
    double mean = 0, var = 0;
    for (int64_t i = 0; i < length; ++i)
      mean += group[i];
    mean /= double(length);
    for (int64_t i = 0; i < length; ++i)
      var += (group[i] - mean) * (group[i] - mean);
    const double inv = 1 / std::sqrt(var / double(length) + epsilon);
    const int64_t first = start / plane % channels;
    for (int64_t k = 0; k < perGroup; ++k) {
      const double s = scale.data[first + k], b = bias.data[first + k];
      const float *row = group + k * plane;
      float *to = out.data.data() + start + k * plane;
      for (int64_t i = 0; i < plane; ++i)
        to[i] = static_cast<float>((row[i] - mean) * inv * s + b);
    }
  }
  return {std::move(out)};
}

} // namespace

Groups groupsOf(const Node &node, const Shape &shape,
                const std::vector<int64_t> &axes) {
  std::vector<bool> reduced(shape.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= int64_t(shape.size()) ||
        (i > 0 && axes[i] <= axes[i - 1]))
      throw RuntimeError(node.describe() + ": axes " + shape::list(axes) +
                         " are not strictly increasing axes of a " +
                         formatShape(shape) + " input");
    reduced[axes[i]] = true;
  }
  std::vector<bool> kept(reduced.size());
  for (size_t d = 0; d < kept.size(); ++d)
    kept[d] = !reduced[d];
  return {offsetsOver(shape, kept), offsetsOver(shape, reduced)};
}

void addNormKernels(KernelTable &table) {
  table["softmax"] = softmax<false>;
  table["log_softmax"] = softmax<true>;
  table["layer_norm"] = layerNorm;
  table["norm_stats"] = normStats;
  table["instance_norm"] = instanceNorm;
}

} // namespace sstep::reference
