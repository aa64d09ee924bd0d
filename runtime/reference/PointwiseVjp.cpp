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

/// Calls fn(begin, end) over [0, n) in chunks on the worker threads.
void parallelChunks(int64_t n,
                    const std::function<void(int64_t, int64_t)> &fn) {
  const int64_t chunk = 1 << 16;
  parallelFor((n + chunk - 1) / chunk,
              [&](int64_t i) { fn(i * chunk, std::min(n, (i + 1) * chunk)); });
}

VjpKernel unary(std::function<Derivative(const Node &)> makeDerivative) {
  return [makeDerivative](const VjpArgs &a) {
    std::vector<Tensor> grads(a.in.size());
    if (!a.wanted[0])
      return grads;
    Derivative d = makeDerivative(a.node);
    Cropped c = cropToOutput(a);
    const Tensor &x = *c.operands[0];
    Tensor full(a.grad.shape);
    parallelChunks(full.size(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        full.data[i] = float(double(a.grad.data[i]) * d(x.data[i]));
    });
    grads[0] = place(a, c, 0, std::move(full));
    return grads;
  };
}

VjpKernel unary(Derivative d) {
  return unary([d](const Node &) { return d; });
}

/// binary(partials): partials(a, b, da, db) sets d(a op b)/da and /db at
/// one element.
/// How an operand of a binary op meets one H x W plane of its NCHW
/// gradient: all of the plane (its own copy), one element for the whole
/// plane (a per-channel or scalar operand), or otherwise.
enum class PlaneUse { Full, One, Other };

PlaneUse planeUse(const std::vector<int64_t> &strides, const Shape &grad) {
  if (strides[2] == 0 && strides[3] == 0)
    return PlaneUse::One;
  if (strides[3] == 1 && strides[2] == grad[3])
    return PlaneUse::Full;
  return PlaneUse::Other;
}

/// The gradients of a binary op whose operands each cover whole planes or
/// one element per plane (a residual sum, a BatchNorm's scale and shift):
/// planes in parallel, a per-plane operand's sums reduced in plane order.
template <typename P>
void binaryByPlanes(const Tensor &g, const Tensor &lhs, const Tensor &rhs,
                    const std::vector<int64_t> &sa,
                    const std::vector<int64_t> &sb, P partials,
                    std::vector<double> &accA, std::vector<double> &accB) {
  const Shape &shape = g.shape;
  const int64_t planes = shape[0] * shape[1], size = shape[2] * shape[3];
  const bool oneA = planeUse(sa, shape) == PlaneUse::One;
  const bool oneB = planeUse(sb, shape) == PlaneUse::One;
  std::vector<double> sumA(size_t(oneA ? planes : 0)),
      sumB(size_t(oneB ? planes : 0));
  auto offset = [&](const std::vector<int64_t> &st, int64_t p) {
    return (p / shape[1]) * st[0] + (p % shape[1]) * st[1];
  };
  parallelFor(planes, [&](int64_t p) {
    const int64_t a0 = offset(sa, p), b0 = offset(sb, p);
    const float *gp = g.data.data() + (p * size);
    double plainA = 0, plainB = 0;
    for (int64_t i = 0; i < size; ++i) {
      const int64_t ia = oneA ? a0 : a0 + i, ib = oneB ? b0 : b0 + i;
      double da = 0, db = 0;
      partials(lhs.data[ia], rhs.data[ib], da, db);
      if (oneA)
        plainA += gp[i] * da;
      else
        accA[size_t(ia)] = gp[i] * da;
      if (oneB)
        plainB += gp[i] * db;
      else
        accB[size_t(ib)] = gp[i] * db;
    }
    if (oneA)
      sumA[size_t(p)] = plainA;
    if (oneB)
      sumB[size_t(p)] = plainB;
  });
  for (int64_t p = 0; p < planes; ++p) {
    if (oneA)
      accA[size_t(offset(sa, p))] += sumA[size_t(p)];
    if (oneB)
      accB[size_t(offset(sb, p))] += sumB[size_t(p)];
  }
}

template <typename P> VjpKernel binary(P partials) {
  return [partials](const VjpArgs &a) {
    std::vector<Tensor> grads(a.in.size());
    Cropped c = cropToOutput(a);
    const Tensor &lhs = *c.operands[0], &rhs = *c.operands[1];
    const Shape &shape = a.grad.shape;
    std::vector<int64_t> sa = broadcastStrides(lhs.shape, shape),
                         sb = broadcastStrides(rhs.shape, shape);
    // Each operand's gradient summed in fp64 straight into its own shape:
    // a broadcast operand's stride 0 accumulates.
    std::vector<double> accA(size_t(lhs.size()), 0.0),
        accB(size_t(rhs.size()), 0.0);
    if (shape.size() == 4 && planeUse(sa, shape) != PlaneUse::Other &&
        planeUse(sb, shape) != PlaneUse::Other &&
        (planeUse(sa, shape) == PlaneUse::Full ||
         planeUse(sb, shape) == PlaneUse::Full) &&
        (planeUse(sa, shape) == PlaneUse::One || lhs.size() == a.grad.size()) &&
        (planeUse(sb, shape) == PlaneUse::One || rhs.size() == a.grad.size())) {
      binaryByPlanes(a.grad, lhs, rhs, sa, sb, partials, accA, accB);
    } else {
      forEachRow(shape, sa, sb,
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
    }
    auto toTensor = [](const Shape &shape, const std::vector<double> &acc) {
      return Tensor(shape, FloatBuffer(acc.begin(), acc.end()));
    };
    if (a.wanted[0])
      grads[0] = place(a, c, 0, toTensor(lhs.shape, accA));
    if (a.wanted[1])
      grads[1] = place(a, c, 1, toTensor(rhs.shape, accB));
    return grads;
  };
}

/// relu from its result: y > 0 exactly where x > 0 (its VjpRule reads the
/// result only).
std::vector<Tensor> reluVjp(const VjpArgs &a) {
  std::vector<Tensor> grads(a.in.size());
  if (!a.wanted[0])
    return grads;
  Cropped c = cropToOutput(a);
  Tensor full(a.grad.shape);
  parallelChunks(full.size(), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      full.data[i] = a.result.data[i] > 0 ? a.grad.data[i] : 0.0f;
  });
  grads[0] = place(a, c, 0, std::move(full));
  return grads;
}

/// a + b and a - b: the gradient itself, negated for b of a difference,
/// summed over broadcast dimensions; the operands' values are not read.
VjpKernel sumVjp(float signB) {
  return [signB](const VjpArgs &a) {
    std::vector<Tensor> grads(a.in.size());
    Cropped c = cropToOutput(a);
    if (a.wanted[0])
      grads[0] = place(a, c, 0, a.grad);
    if (a.wanted[1]) {
      Tensor g = a.grad;
      if (signB != 1.0f)
        for (float &v : g.data)
          v *= signB;
      grads[1] = place(a, c, 1, std::move(g));
    }
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
  table["relu"] = reluVjp;
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
  table["silu"] = unary([](double x) {
    double s = 1 / (1 + std::exp(-x));
    return s * (1 + x * (1 - s));
  });
  // Phi(x) + x phi(x): the normal distribution's CDF and density.
  table["gelu"] = unary([](double x) {
    return (1 + std::erf(x * M_SQRT1_2)) / 2 +
           x * std::exp(-x * x / 2) / std::sqrt(2 * M_PI);
  });
  table["exp"] = unary([](double x) { return std::exp(x); });
  table["sqrt"] = unary([](double x) { return 0.5 / std::sqrt(x); });
  table["log"] = unary([](double x) { return 1 / x; });
  // PyTorch's: sign(x), 0 at 0.
  table["abs"] = unary([](double x) {
    return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
  });
  table["neg"] = unary([](double) { return -1.0; });
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
  table["add"] = sumVjp(1.0f);
  table["sub"] = sumVjp(-1.0f);
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
