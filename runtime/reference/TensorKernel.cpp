//===- TensorKernel.cpp - Reference concat, flatten, reshape, transpose ---===//
//
// Result shapes come from ShapeRules.h, the rules the verifiers use, here
// with every dimension known. Reshapes keep the row-major data as it is.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Kernels.h"

#include <algorithm>

namespace sstep::reference {

SliceView sliceView(const Node &node, const Shape &input) {
  const std::vector<int64_t> &axes = node.getInts("axes"),
                             &starts = node.getInts("starts"),
                             &ends = node.getInts("ends"),
                             &steps = node.getInts("steps");
  const size_t rank = input.size();
  std::vector<int64_t> first(rank, 0), step(rank, 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    shape::SliceRange r =
        shape::sliceRange(input[axes[i]], starts[i], ends[i], steps[i]);
    first[axes[i]] = r.first;
    step[axes[i]] = steps[i];
  }
  SliceView view{0, std::vector<int64_t>(rank)};
  std::vector<int64_t> own = stridesOf(input);
  for (size_t d = 0; d < rank; ++d) {
    view.base += first[d] * own[d];
    view.strides[d] = own[d] * step[d];
  }
  return view;
}

namespace {

/// Each input contributes a block of `inner` elements per outer index.
std::vector<Tensor> concat(const Node &node, const Operands &in) {
  int64_t axis = node.getInt("axis");
  std::vector<shape::Dims> shapes;
  for (const Tensor *t : in)
    shapes.push_back(t->shape);
  Tensor out(checkRule(node, shape::concat(shapes, axis)));
  int64_t outer = shape::product(out.shape, 0, axis);
  float *dst = out.data.data();
  for (int64_t o = 0; o < outer; ++o)
    for (const Tensor *t : in) {
      int64_t inner = shape::product(t->shape, axis, t->shape.size());
      const float *src = t->data.data() + o * inner;
      dst = std::copy(src, src + inner, dst);
    }
  return {std::move(out)};
}

std::vector<Tensor> flatten(const Node &node, const Operands &in) {
  Shape shape =
      checkRule(node, shape::flatten(in[0]->shape, node.getInt("axis")));
  return {Tensor(shape, in[0]->data)};
}

std::vector<Tensor> reshape(const Node &node, const Operands &in) {
  Shape shape =
      checkRule(node, shape::reshape(in[0]->shape, node.getInts("shape"),
                                     node.getInt("allowzero") != 0));
  return {Tensor(shape, in[0]->data)};
}

std::vector<Tensor> slice(const Node &node, const Operands &in) {
  const Tensor &x = *in[0];
  Tensor out(checkRule(
      node, shape::slice(x.shape, node.getInts("starts"), node.getInts("ends"),
                         node.getInts("axes"), node.getInts("steps"))));
  auto [base, strides] = sliceView(node, x.shape);
  for (int64_t i = 0; i < out.size(); ++i)
    out.data[i] = x.data[base + offsetAt(i, out.shape, strides)];
  return {std::move(out)};
}

/// Output channel j * groups + i is input channel i * (C / groups) + j.
std::vector<Tensor> channelShuffle(const Node &node, const Operands &in) {
  const Tensor &x = *in[0];
  const int64_t groups = node.getInt("groups");
  if (x.rank() != 4 || groups <= 0 || x.dim(1) % groups != 0)
    throw RuntimeError(node.describe() + ": cannot shuffle " +
                       formatShape(x.shape) + " in " + std::to_string(groups) +
                       " groups");
  const int64_t c = x.dim(1), per = c / groups;
  const int64_t plane = x.dim(2) * x.dim(3);
  Tensor out(x.shape);
  for (int64_t n = 0; n < x.dim(0); ++n)
    for (int64_t i = 0; i < groups; ++i)
      for (int64_t j = 0; j < per; ++j) {
        const float *src = x.data.data() + (n * c + i * per + j) * plane;
        std::copy(src, src + plane,
                  out.data.data() + (n * c + j * groups + i) * plane);
      }
  return {std::move(out)};
}

/// Output element i reads the input at i's index permuted back.
std::vector<Tensor> transpose(const Node &node, const Operands &in) {
  const Tensor &x = *in[0];
  const std::vector<int64_t> &perm = node.getInts("perm");
  Tensor out(checkRule(node, shape::transpose(x.shape, perm)));
  std::vector<int64_t> own = stridesOf(x.shape), strides;
  for (int64_t p : perm)
    strides.push_back(own[p]);
  for (int64_t i = 0; i < out.size(); ++i)
    out.data[i] = x.data[offsetAt(i, out.shape, strides)];
  return {std::move(out)};
}

} // namespace

void addTensorKernels(KernelTable &table) {
  table["channel_shuffle"] = channelShuffle;
  table["concat"] = concat;
  table["slice"] = slice;
  table["flatten"] = flatten;
  table["reshape"] = reshape;
  table["transpose"] = transpose;
}

} // namespace sstep::reference
