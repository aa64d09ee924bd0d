//===- PointwiseVjp.cpp - Gradients of the element-wise ops ---------------===//
//
// Computed on the operands cropped to the output block, as the forward
// kernels were (cropToOutput), in double, summed over broadcast dimensions
// back to each operand's shape. Derivatives at the kinks follow PyTorch: relu
// and leaky_relu take the x < 0 side at 0; clip (relu6, hardtanh) passes the
// gradient strictly inside (min, max); hard_swish's is x / 3 + 1/2 on
// [-3, 3].
//
//===----------------------------------------------------------------------===//

#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Vjp.h"

#include <cmath>

namespace sstep::reference {
namespace {

using Derivative = std::function<double(double x)>;

VjpKernel unary(std::function<Derivative(const Node &)> makeDerivative) {
  return [makeDerivative](const VjpArgs &a) {
    std::vector<Tensor> grads(a.in.size());
    if (!a.wanted[0])
      return grads;
    Derivative d = makeDerivative(a.node);
    Cropped c = cropToOutput(a);
    const Tensor &x = *c.operands[0];
    Tensor full(a.grad.shape);
    for (int64_t i = 0; i < full.size(); ++i)
      full.data[i] = float(double(a.grad.data[i]) * d(x.data[i]));
    grads[0] = place(a, c, 0, full);
    return grads;
  };
}

VjpKernel unary(Derivative d) {
  return unary([d](const Node &) { return d; });
}

/// d(a op b)/da and d(a op b)/db at one element.
using Partials = void (*)(double a, double b, double &da, double &db);

VjpKernel binary(Partials partials) {
  return [partials](const VjpArgs &a) {
    std::vector<Tensor> grads(a.in.size());
    Cropped c = cropToOutput(a);
    const Tensor &lhs = *c.operands[0], &rhs = *c.operands[1];
    // Each operand's gradient summed in fp64 straight into its own shape:
    // a broadcast operand's stride 0 accumulates.
    std::vector<double> accA(size_t(lhs.size()), 0.0),
        accB(size_t(rhs.size()), 0.0);
    forEachRow(a.grad.shape, broadcastStrides(lhs.shape, a.grad.shape),
               broadcastStrides(rhs.shape, a.grad.shape),
               [&](int64_t first, int64_t offA, int64_t offB, int64_t strideA,
                   int64_t strideB, int64_t length) {
                 for (int64_t i = 0; i < length; ++i) {
                   int64_t ia = offA + i * strideA, ib = offB + i * strideB;
                   double da = 0, db = 0, g = a.grad.data[first + i];
                   partials(lhs.data[ia], rhs.data[ib], da, db);
                   accA[size_t(ia)] += g * da;
                   accB[size_t(ib)] += g * db;
                 }
               });
    auto toTensor = [](const Shape &shape, const std::vector<double> &acc) {
      return Tensor(shape, std::vector<float>(acc.begin(), acc.end()));
    };
    if (a.wanted[0])
      grads[0] = place(a, c, 0, toTensor(lhs.shape, accA));
    if (a.wanted[1])
      grads[1] = place(a, c, 1, toTensor(rhs.shape, accB));
    return grads;
  };
}

std::vector<Tensor> preluVjp(const VjpArgs &a) {
  std::vector<Tensor> grads(a.in.size());
  Cropped c = cropToOutput(a);
  const Tensor &x = *c.operands[0];
  Tensor slope = broadcastTo(a.node, *c.operands[1], x.shape, "slope");
  Tensor dx(x.shape), dslope(x.shape);
  for (int64_t i = 0; i < x.size(); ++i) {
    bool negative = x.data[i] < 0;
    dx.data[i] = negative ? a.grad.data[i] * slope.data[i] : a.grad.data[i];
    dslope.data[i] = negative ? a.grad.data[i] * x.data[i] : 0.0f;
  }
  if (a.wanted[0])
    grads[0] = place(a, c, 0, dx);
  if (a.wanted[1])
    grads[1] = place(a, c, 1, dslope);
  return grads;
}

} // namespace

void addPointwiseVjps(VjpTable &table) {
  table["relu"] = unary([](double x) { return x > 0 ? 1.0 : 0.0; });
  table["sigmoid"] = unary([](double x) {
    double s = 1 / (1 + std::exp(-x));
    return s * (1 - s);
  });
  table["tanh"] = unary([](double x) {
    double t = std::tanh(x);
    return 1 - t * t;
  });
  table["erf"] =
      unary([](double x) { return 2 / std::sqrt(M_PI) * std::exp(-x * x); });
  table["exp"] = unary([](double x) { return std::exp(x); });
  table["sqrt"] = unary([](double x) { return 0.5 / std::sqrt(x); });
  table["log"] = unary([](double x) { return 1 / x; });
  table["hard_swish"] = unary([](double x) {
    return x < -3 ? 0.0 : x <= 3 ? x / 3 + 0.5 : 1.0;
  });
  table["leaky_relu"] = unary([](const Node &node) -> Derivative {
    double alpha = node.getFloat("alpha");
    return [alpha](double x) { return x > 0 ? 1.0 : alpha; };
  });
  table["hard_sigmoid"] = unary([](const Node &node) -> Derivative {
    double alpha = node.getFloat("alpha"), beta = node.getFloat("beta");
    return [alpha, beta](double x) {
      double v = alpha * x + beta;
      return v > 0 && v < 1 ? alpha : 0.0;
    };
  });
  table["clip"] = unary([](const Node &node) -> Derivative {
    double lo = node.getFloat("min"), hi = node.getFloat("max");
    return [lo, hi](double x) { return x > lo && x < hi ? 1.0 : 0.0; };
  });
  table["pow"] = unary([](const Node &node) -> Derivative {
    double e = node.getFloat("exponent");
    return [e](double x) { return e * std::pow(x, e - 1); };
  });
  table["prelu"] = preluVjp;
  table["add"] = binary([](double, double, double &da, double &db) {
    da = 1;
    db = 1;
  });
  table["sub"] = binary([](double, double, double &da, double &db) {
    da = 1;
    db = -1;
  });
  table["mul"] = binary([](double a, double b, double &da, double &db) {
    da = b;
    db = a;
  });
  table["div"] = binary([](double a, double b, double &da, double &db) {
    da = 1 / b;
    db = -a / (b * b);
  });
}

} // namespace sstep::reference
