//===- PointwiseOps.cpp - Pointwise ops of the sstep dialect --------------===//

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <array>
#include <cmath>

using namespace mlir;

namespace sstep {

LogicalResult ClipOp::verify() {
  if (getMin().convertToFloat() > getMax().convertToFloat())
    return emitOpError() << "expects min <= max, got ["
                         << getMin().convertToFloat() << ", "
                         << getMax().convertToFloat() << "]";
  return success();
}

LogicalResult PReluOp::verify() {
  if (getSlope().getType().getElementType() !=
      getInput().getType().getElementType())
    return emitOpError("expects input and slope of one element type");
  return verifyShapeRule(*this, "expects the slope to broadcast to the input",
                         shape::broadcastTo(dimsOf(getSlope().getType()),
                                            dimsOf(getInput().getType())));
}

//===----------------------------------------------------------------------===//
// Gradient rules. relu's derivative is read off its result (y > 0 exactly
// where x > 0), so a backward pass keeps y, which its consumer needs anyway,
// and not x. Sums pass the gradient on and read nothing.
//===----------------------------------------------------------------------===//

bool ReluOp::vjpReadsOperand(unsigned) { return false; }
bool ReluOp::vjpReadsResult() { return true; }
bool AddOp::vjpReadsOperand(unsigned) { return false; }
bool SubOp::vjpReadsOperand(unsigned) { return false; }

//===----------------------------------------------------------------------===//
// GELU written out. PyTorch exports nn.GELU() (before opset 20) as
//   mul(mul(x, add(erf(div(x, 1.4142135)), 1)), 0.5)
// and others write 0.5 * x * (1 + erf(x * 0.70710677)): three factors, x,
// 0.5 and 1 + erf(x / sqrt(2)), in either grouping and operand order. Any of
// them becomes `sstep.gelu %x`, which oneDNN and the CUDA kernels compute in
// one pass where the written-out form took five.
//===----------------------------------------------------------------------===//

namespace {

/// Whether `v` is a one-element constant within float rounding of `value`.
bool isScalar(Value v, double value) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || attr.getNumElements() != 1 ||
      !isa<FloatType>(attr.getElementType()))
    return false;
  double got = (*attr.getValues<APFloat>().begin()).convertToDouble();
  return std::abs(got - value) <= 1e-6 * std::abs(value);
}

/// The x of `erf(x / sqrt(2))` or `erf(x * (1 / sqrt(2)))`, if `v` is one.
Value erfArgument(Value v) {
  auto erf = v.getDefiningOp<ErfOp>();
  if (!erf)
    return {};
  Value s = erf.getInput();
  if (auto div = s.getDefiningOp<DivOp>())
    return isScalar(div.getRhs(), M_SQRT2) ? div.getLhs() : Value();
  if (auto mul = s.getDefiningOp<MulOp>()) {
    if (isScalar(mul.getRhs(), M_SQRT1_2))
      return mul.getLhs();
    if (isScalar(mul.getLhs(), M_SQRT1_2))
      return mul.getRhs();
  }
  return {};
}

/// The x of `1 + erf(x / sqrt(2))`, if `v` is one.
Value onePlusErfArgument(Value v) {
  auto add = v.getDefiningOp<AddOp>();
  if (!add)
    return {};
  if (isScalar(add.getRhs(), 1))
    return erfArgument(add.getLhs());
  if (isScalar(add.getLhs(), 1))
    return erfArgument(add.getRhs());
  return {};
}

/// The x of which {a, b, c} are the factors x, 0.5, 1 + erf(x / sqrt(2)).
Value geluOfFactors(std::array<Value, 3> factors) {
  for (int half = 0; half < 3; ++half) {
    if (!isScalar(factors[half], 0.5))
      continue;
    for (int e = 0; e < 3; ++e) {
      if (e == half)
        continue;
      Value x = factors[3 - half - e];
      if (onePlusErfArgument(factors[e]) == x)
        return x;
    }
  }
  return {};
}

struct GeluFromErf : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp root,
                                PatternRewriter &rewriter) const override {
    Value a = root.getLhs(), b = root.getRhs(), x;
    if (auto inner = a.getDefiningOp<MulOp>())
      x = geluOfFactors({inner.getLhs(), inner.getRhs(), b});
    if (!x)
      if (auto inner = b.getDefiningOp<MulOp>())
        x = geluOfFactors({a, inner.getLhs(), inner.getRhs()});
    if (!x || x.getType() != root.getType())
      return failure();
    rewriter.replaceOpWithNewOp<GeluOp>(root, root.getType(), x);
    return success();
  }
};

/// Which gates of x make x * gate(x) one op: any sigmoid (SiLU), a hard
/// sigmoid with alpha 1/6 and beta 1/2 (hard swish).
bool gatesItself(SigmoidOp) { return true; }
bool gatesItself(HardSigmoidOp gate) {
  return std::abs(gate.getAlpha().convertToDouble() - 1.0 / 6) <= 1e-7 &&
         gate.getBeta().convertToDouble() == 0.5;
}

/// x * gate(x), in either order, as one op: SiLU as PyTorch exports
/// nn.SiLU() before opset 14 (EfficientNet), hard swish as it exports
/// nn.Hardswish() (MobileNetV3). A gate of another value (a
/// squeeze-and-excitation gate) stays a mul.
template <typename Gate, typename Result>
struct SelfGated : OpRewritePattern<MulOp> {
  using OpRewritePattern<MulOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp root,
                                PatternRewriter &rewriter) const override {
    for (auto [x, s] : {std::pair(root.getLhs(), root.getRhs()),
                        std::pair(root.getRhs(), root.getLhs())}) {
      auto gate = s.getDefiningOp<Gate>();
      if (gate && gate.getInput() == x && x.getType() == root.getType() &&
          gatesItself(gate)) {
        rewriter.replaceOpWithNewOp<Result>(root, root.getType(), x);
        return success();
      }
    }
    return failure();
  }
};

} // namespace

void MulOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                        MLIRContext *context) {
  patterns.add<GeluFromErf, SelfGated<SigmoidOp, SiluOp>,
               SelfGated<HardSigmoidOp, HardSwishOp>>(context);
}

} // namespace sstep
