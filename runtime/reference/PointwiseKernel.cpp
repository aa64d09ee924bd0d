//===- PointwiseKernel.cpp - Reference elementwise ops --------------------===//
//
// Unary activations evaluate in double and round once to float. Binary ops
// broadcast as NumPy does: shapes align at the trailing dimension and a
// dimension of 1 stretches. PRelu's slope broadcasts one way, to the input.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Kernels.h"

#include <algorithm>
#include <cmath>

namespace sstep::reference {
namespace {

using UnaryFn = std::function<double(double)>;
using BinaryFn = double (*)(double, double);

Kernel unary(std::function<UnaryFn(const Node &)> makeFn) {
  return [makeFn](const Node &node, const Operands &in) {
    UnaryFn fn = makeFn(node);
    Tensor out(in[0]->shape);
    const FloatBuffer &src = in[0]->data;
    const int64_t n = out.size(), chunk = 1 << 16;
    parallelFor((n + chunk - 1) / chunk, [&](int64_t c) {
      for (int64_t i = c * chunk; i < std::min(n, (c + 1) * chunk); ++i)
        out.data[i] = static_cast<float>(fn(src[i]));
    });
    return std::vector<Tensor>{std::move(out)};
  };
}

Kernel unary(UnaryFn fn) {
  return unary([fn](const Node &) { return fn; });
}

Kernel binary(BinaryFn fn) {
  return [fn](const Node &node, const Operands &in) {
    const Tensor &a = *in[0], &b = *in[1];
    Shape shape = broadcastShape(node, a.shape, b.shape);
    Tensor out(shape);
    if (out.size() == 0)
      return std::vector<Tensor>{std::move(out)};
    std::vector<int64_t> sa = broadcastStrides(a.shape, shape),
                         sb = broadcastStrides(b.shape, shape);
    // Rows in parallel chunks: each writes its own part of `out`.
    const int64_t rows = rowCount(shape);
    const int64_t chunk = std::max<int64_t>(
        1, (1 << 16) / std::max<int64_t>(1, out.size() / rows));
    parallelFor((rows + chunk - 1) / chunk, [&](int64_t c) {
      forEachRow(shape, sa, sb, c * chunk, std::min(rows, (c + 1) * chunk),
                 [&](int64_t first, int64_t offA, int64_t offB, int64_t strideA,
                     int64_t strideB, int64_t length) {
                   float *dst = out.data.data() + (first);
                   for (int64_t i = 0; i < length; ++i)
                     dst[i] =
                         static_cast<float>(fn(a.data[offA + i * strideA],
                                               b.data[offB + i * strideB]));
                 });
    });
    return std::vector<Tensor>{std::move(out)};
  };
}

double clamp01(double v) { return std::min(1.0, std::max(0.0, v)); }

/// The slope broadcasts unidirectionally: the result has the input's shape.
std::vector<Tensor> prelu(const Node &node, const Operands &in) {
  const Tensor &x = *in[0];
  Tensor slope = broadcastTo(node, *in[1], x.shape, "slope");
  Tensor out(x.shape);
  for (int64_t i = 0; i < x.size(); ++i)
    out.data[i] = x.data[i] < 0 ? x.data[i] * slope.data[i] : x.data[i];
  return {std::move(out)};
}

} // namespace

void addPointwiseKernels(KernelTable &table) {
  table["relu"] = unary([](double x) { return x > 0 ? x : 0.0; });
  table["sigmoid"] = unary([](double x) { return 1 / (1 + std::exp(-x)); });
  table["tanh"] = unary([](double x) { return std::tanh(x); });
  table["erf"] = unary([](double x) { return std::erf(x); });
  table["silu"] = unary([](double x) { return x / (1 + std::exp(-x)); });
  table["gelu"] =
      unary([](double x) { return x * (1 + std::erf(x * M_SQRT1_2)) / 2; });
  table["exp"] = unary([](double x) { return std::exp(x); });
  table["sqrt"] = unary([](double x) { return std::sqrt(x); });
  table["log"] = unary([](double x) { return std::log(x); });
  table["abs"] = unary([](double x) { return std::fabs(x); });
  table["neg"] = unary([](double x) { return -x; });
  table["hard_swish"] =
      unary([](double x) { return x * clamp01(x / 6 + 0.5); });
  table["leaky_relu"] = unary([](const Node &node) -> UnaryFn {
    double alpha = node.getFloat("alpha");
    return [alpha](double x) { return x < 0 ? alpha * x : x; };
  });
  table["hard_sigmoid"] = unary([](const Node &node) -> UnaryFn {
    double alpha = node.getFloat("alpha"), beta = node.getFloat("beta");
    return [alpha, beta](double x) { return clamp01(alpha * x + beta); };
  });
  table["clip"] = unary([](const Node &node) -> UnaryFn {
    double lo = node.getFloat("min"), hi = node.getFloat("max");
    return [lo, hi](double x) {
      return std::isnan(x) ? x : std::min(hi, std::max(lo, x));
    };
  });
  table["pow"] = unary([](const Node &node) -> UnaryFn {
    double exponent = node.getFloat("exponent");
    return [exponent](double x) { return std::pow(x, exponent); };
  });
  table["prelu"] = prelu;
  table["add"] = binary([](double a, double b) { return a + b; });
  table["sub"] = binary([](double a, double b) { return a - b; });
  table["mul"] = binary([](double a, double b) { return a * b; });
  table["div"] = binary([](double a, double b) { return a / b; });
}

} // namespace sstep::reference
