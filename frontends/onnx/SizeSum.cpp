//===- SizeSum.cpp - Sums of image sizes that are constant ----------------===//
//
// HoVer-Net-style decoders crop a skip to the size of what "valid"
// convolutions left of it: `x[:, :, d // 2 : -(d - d // 2)]` with
// `d = x.H - y.H`. A difference of two dynamic sizes is no SymInt, yet it is
// often the same for every image size (a 5 x 5 valid convolution takes 4
// pixels off, whatever H is). This file proves that by evaluation: each size
// is its values' chain of window rules applied to the input's size, a
// composition of floor-affine maps, so a sum of two of them is periodic in the
// input size up to a linear term, with a period that divides the product of
// the rules' denominators (strides, scale denominators). Constant over one
// full period from the smallest valid size means constant for every size.
//
// Example: y = conv5x5_valid(x), d = x.H - y.H: both chains have denominator
// 1, d is 4 at the first valid size and at the next, so d is 4.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/SpatialOpInterface.h"

#include <cmath>
#include <numeric>

using namespace mlir;

namespace sstep::onnx_import {
namespace {

/// Sizes along one spatial axis as functions of one input's size.
class SizeChains {
public:
  explicit SizeChains(unsigned axis) : axis_(axis) {}

  /// The size of `v` when the input has `x` pixels; nullopt when a value on
  /// its chain is empty or its rule is unknown (`unknownOp` says which).
  std::optional<int64_t> size(Value v, int64_t x) {
    if (x != memoSize_) {
      memo_.clear();
      memoSize_ = x;
    }
    if (auto it = memo_.find(v.getAsOpaquePointer()); it != memo_.end())
      return it->second;
    std::optional<int64_t> s = compute(v, x);
    memo_[v.getAsOpaquePointer()] = s;
    return s;
  }

private:
  std::optional<int64_t> compute(Value v, int64_t x) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || type.getRank() != 4)
      return fail(v, "is not an NCHW image");
    if (!ShapedType::isDynamic(type.getDimSize(2 + axis_)))
      return type.getDimSize(2 + axis_);
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (root_ && root_ != v)
        return fail(v, "is a second input: sizes of two inputs never sum "
                       "to a constant");
      root_ = v;
      return x;
    }
    Operation *op = v.getDefiningOp();
    if (auto slice = dyn_cast<SliceOp>(op))
      return sliceSize(slice, x);
    SpatialOpInterface rule = getWindowRule(op);
    if (!rule)
      return fail(v, "has no window rule that gives its size");
    // Spatial operands share their size: the first one's is the op's (one
    // walk, not one per operand: a residual network's sums would make it
    // exponential).
    std::optional<int64_t> in;
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      if (rule.isSpatialOperand(i)) {
        in = size(op->getOperand(i), x);
        break;
      }
    if (!in || *in <= 0)
      return std::nullopt;
    AxisRule axisRule = rule.getAxisRule(axis_);
    int64_t like = -1;
    if (auto resize = dyn_cast<Resize2DOp>(op); resize && resize.getLike()) {
      std::optional<int64_t> l = size(resize.getLike(), x);
      if (!l || *l <= 0)
        return std::nullopt;
      like = *l;
    }
    int64_t out = axisRule.outputSize(*in, like);
    if (x == probeSize_)
      period_ = std::min<int64_t>(period_ * denominator(axisRule), kMaxPeriod);
    return out > 0 ? std::optional<int64_t>(out) : std::nullopt;
  }

  /// A slice's size: canonicalization has not yet made crops pad2d.
  std::optional<int64_t> sliceSize(SliceOp slice, int64_t x) {
    std::optional<int64_t> in = size(slice.getInput(), x);
    if (!in || *in <= 0)
      return std::nullopt;
    int64_t out = *in;
    for (auto [i, axis] : llvm::enumerate(slice.getAxes()))
      if (axis == 2 + axis_) {
        int64_t step = slice.getSteps()[i];
        out = shape::sliceRange(*in, slice.getStarts()[i], slice.getEnds()[i],
                                step)
                  .count;
        if (x == probeSize_)
          period_ = std::min<int64_t>(period_ * std::abs(step), kMaxPeriod);
      }
    return out > 0 ? std::optional<int64_t>(out) : std::nullopt;
  }

public:
  /// Records the rules' denominators while computing the sizes at `x`.
  void measurePeriodAt(int64_t x) {
    probeSize_ = x;
    memoSize_ = -1; // walk every chain again, to see its rules
  }
  void stopMeasuring() { probeSize_ = -1; }
  int64_t period() const { return period_; }
  const std::string &why() const { return why_; }

  static constexpr int64_t kMaxPeriod = 1 << 12;

private:
  std::optional<int64_t> fail(Value v, const std::string &what) {
    if (why_.empty()) {
      std::string name;
      if (Operation *op = v.getDefiningOp())
        name = "the result of " + op->getName().getStringRef().str();
      else
        name = "an input";
      why_ = name + " " + what;
    }
    return std::nullopt;
  }

  /// How many input pixels make the rule's output grow by a whole number.
  static int64_t denominator(const AxisRule &r) {
    switch (r.kind) {
    case AxisRule::Kind::Window:
      return r.window.stride;
    case AxisRule::Kind::Resize:
      if (r.scale > 0) {
        for (int64_t den = 1; den <= 64; ++den)
          if (std::abs(r.scale * den - std::round(r.scale * den)) < 1e-9)
            return den;
        return kMaxPeriod;
      }
      return r.likeDen;
    default:
      return 1;
    }
  }

  unsigned axis_;
  /// Sizes at input size memoSize_, by value: chains share their prefixes.
  llvm::DenseMap<const void *, std::optional<int64_t>> memo_;
  int64_t memoSize_ = -1;
  Value root_;
  int64_t period_ = 1;
  int64_t probeSize_ = -1;
  std::string why_;
};

/// floor(size * num / den) at input size x.
std::optional<int64_t> evaluate(SizeChains &chains, const SymInt &s,
                                int64_t x) {
  if (s.isConstant())
    return s.constant;
  std::optional<int64_t> size = chains.size(s.source, x);
  if (!size)
    return std::nullopt;
  int64_t scaled = *size * s.num;
  return scaled >= 0 ? scaled / s.den : -((-scaled + s.den - 1) / s.den);
}

unsigned spatialAxis(NodeContext &ctx, const SymInt &a, const SymInt &b) {
  int64_t axis = a.isConstant() ? b.axis : a.axis;
  if ((axis != 2 && axis != 3) ||
      (!a.isConstant() && !b.isConstant() && a.axis != b.axis))
    ctx.fail("a sum involving image sizes is supported only of one spatial "
             "axis (H or W) of images");
  return unsigned(axis - 2);
}

} // namespace

SymInt foldSizeSum(NodeContext &ctx, const SymInt &a, const SymInt &b,
                   int64_t sign) {
  SizeChains chains(spatialAxis(ctx, a, b));
  auto at = [&](int64_t x) -> std::optional<int64_t> {
    std::optional<int64_t> va = evaluate(chains, a, x);
    std::optional<int64_t> vb = evaluate(chains, b, x);
    if (!va || !vb)
      return std::nullopt;
    return *va + sign * *vb;
  };
  const std::string what = "a sum involving image sizes";
  // Sizes grow with the input, so the valid input sizes are all from the
  // smallest one on: found by bisection.
  const int64_t largest = 1 << 16;
  bool valid = at(largest).has_value();
  if (!chains.why().empty())
    ctx.fail(what + " is not supported: " + chains.why());
  if (!valid)
    ctx.fail(what + " has no input size up to 65536 at which it is defined");
  int64_t lo = 0, first = largest; // !at(lo) (or lo == 0), at(first)
  while (first - lo > 1) {
    int64_t mid = lo + (first - lo) / 2;
    (at(mid) ? first : lo) = mid;
  }
  chains.measurePeriodAt(first);
  int64_t value = *at(first);
  chains.stopMeasuring();
  int64_t period = chains.period();
  if (period >= SizeChains::kMaxPeriod)
    ctx.fail(what + " could not be proved constant: its sizes' strides "
                    "multiply to more than 4096");
  for (int64_t x = first + 1; x <= first + period; ++x) {
    int64_t other = *at(x);
    if (other != value)
      ctx.fail(what + " changes with the image size (" + std::to_string(value) +
               " at an input size of " + std::to_string(first) + ", " +
               std::to_string(other) + " at " + std::to_string(x) +
               "): export the model with a fixed input size");
  }
  return SymInt::of(value);
}

} // namespace sstep::onnx_import
