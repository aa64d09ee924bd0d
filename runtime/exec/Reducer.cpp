//===- Reducer.cpp - Per-tile partial results, combined exactly -----------===//

#include "runtime/exec/Reducer.h"
#include "runtime/core/RuntimeError.h"

#include <cmath>
#include <limits>

namespace sstep::exec {

ReduceKind reduceKindOf(const Node &node) {
  if (node.reduction == "mean")
    return ReduceKind::Mean;
  if (node.reduction == "max")
    return ReduceKind::Max;
  if (node.reduction == "sum")
    return ReduceKind::Sum;
  throw RuntimeError(node.describe() + ": unknown tile reduction '" +
                     node.reduction + "'");
}

void Reducer::add(const Tensor &block) {
  int64_t planes = block.dim(0) * block.dim(1);
  int64_t n = block.dim(2) * block.dim(3);
  if (acc.empty()) {
    shape = {block.dim(0), block.dim(1), 1, 1};
    acc.assign(size_t(planes), kind == ReduceKind::Max
                                   ? -std::numeric_limits<double>::infinity()
                                   : 0.0);
  }
  for (int64_t p = 0; p < planes; ++p) {
    double &to = acc[size_t(p)];
    for (int64_t i = 0; i < n; ++i) {
      double v = block.data[size_t(p * n + i)];
      if (kind != ReduceKind::Max)
        to += v;
      else if (v > to || std::isnan(v))
        to = std::isnan(to) ? to : v;
    }
  }
  pixels += n;
}

Tensor Reducer::finish(const Node &node) const {
  if (acc.empty())
    throw RuntimeError(node.describe() + ": every tile it reduces was skipped");
  Tensor out(shape);
  for (size_t p = 0; p < acc.size(); ++p)
    out.data[p] =
        float(kind == ReduceKind::Mean ? acc[p] / double(pixels) : acc[p]);
  return out;
}

} // namespace sstep::exec
