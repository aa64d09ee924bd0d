//===- StreamInstanceNormPass.cpp - The sstep-stream-instance-norm pass ---===//
//
// An instance or group norm needs its input's statistics over all of H and
// W, so as one op it runs on the whole image, held in memory. Written as two
// tile reductions (the mean, then the mean squared deviation from it: the
// two-pass form the reference kernel computes) and pointwise ops, each pass
// streams tiles, and the image between them is a stored value that may live
// on disk. See Passes.td for the worked example.
//
//===----------------------------------------------------------------------===//

#include "compiler/Passes.h"
#include "dialects/sstep/IR/SStepOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

namespace sstep {
#define GEN_PASS_DEF_STREAMINSTANCENORM
#include "compiler/Passes.h.inc"
} // namespace sstep

using namespace mlir;

namespace {

using sstep::InstanceNormOp;

/// `values` (one per channel) as a constant of shape C x 1 x 1.
Value perChannel(OpBuilder &b, Location loc, DenseElementsAttr values) {
  int64_t c = values.getNumElements();
  auto type = RankedTensorType::get({c, 1, 1}, values.getElementType());
  return b.create<arith::ConstantOp>(loc, values.reshape(type));
}

/// The 1 x 1 convolution weights that average each group of `c / g`
/// consecutive channels (g x c), or copy each group's value back to its
/// channels (c x g).
Value groupMatrix(OpBuilder &b, Location loc, int64_t c, int64_t g,
                  bool average, Type element) {
  int64_t rows = average ? g : c, cols = average ? c : g, size = c / g;
  std::vector<float> w(size_t(rows * cols), 0.0f);
  for (int64_t ch = 0; ch < c; ++ch) {
    int64_t group = ch / size;
    if (average)
      w[size_t(group * c + ch)] = 1.0f / float(size);
    else
      w[size_t(ch * g + group)] = 1.0f;
  }
  auto type = RankedTensorType::get({rows, cols, 1, 1}, element);
  return b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(type, ArrayRef<float>(w)));
}

/// The two group matrices of a norm of `c` channels in `groups` groups;
/// none when each group is one channel.
struct Groups {
  int64_t count = 0;
  Value average, spread;
};

/// Per (image, channel), the mean over H and W of `x`, then over the
/// channel's group when groups are wider than one channel.
Value statistic(OpBuilder &b, Location loc, Value x, const Groups &groups) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t n = type.getDimSize(0), c = type.getDimSize(1);
  auto small = RankedTensorType::get({n, c, 1, 1}, type.getElementType());
  Value mean = b.create<sstep::GlobalAvgPool2DOp>(loc, small, x);
  if (!groups.average)
    return mean;
  auto grouped =
      RankedTensorType::get({n, groups.count, 1, 1}, type.getElementType());
  Value g =
      b.create<sstep::Conv2DOp>(loc, grouped, mean, groups.average, Value());
  return b.create<sstep::Conv2DOp>(loc, small, g, groups.spread, Value());
}

/// Rewrites `op` when its input is an NCHW image of known batch and
/// channels and its scale and bias are constants.
void stream(InstanceNormOp op) {
  auto type = dyn_cast<RankedTensorType>(op.getInput().getType());
  DenseElementsAttr scale, bias;
  if (!type || type.getRank() != 4 || type.isDynamicDim(0) ||
      type.isDynamicDim(1) || !type.getElementType().isF32() ||
      !matchPattern(op.getScale(), m_Constant(&scale)) ||
      !matchPattern(op.getBias(), m_Constant(&bias)))
    return;
  int64_t c = type.getDimSize(1);
  OpBuilder b(op);
  Location loc = op.getLoc();
  Groups groups;
  groups.count = op.getGroups() > 0 ? op.getGroups() : c;
  if (groups.count != c) {
    groups.average = groupMatrix(b, loc, c, groups.count, true, b.getF32Type());
    groups.spread = groupMatrix(b, loc, c, groups.count, false, b.getF32Type());
  }
  Value x = op.getInput();
  Type small =
      RankedTensorType::get({type.getDimSize(0), c, 1, 1}, b.getF32Type());
  auto scalar = [&](float v) {
    return b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                    ArrayRef<float>(v)));
  };
  // Pass 1: the mean. Pass 2: the mean squared deviation from it.
  Value mean = statistic(b, loc, x, groups);
  Value dev = b.create<sstep::SubOp>(loc, type, x, mean);
  Value sq = b.create<sstep::MulOp>(loc, type, dev, dev);
  Value var = statistic(b, loc, sq, groups);
  Value std = b.create<sstep::SqrtOp>(
      loc, small,
      b.create<sstep::AddOp>(loc, small, var,
                             scalar(op.getEpsilon().convertToFloat())));
  // The scale and bias keep their initializers' names (the constants'
  // locations), so that a trained model's gradients reach its parameters.
  Value gain = b.create<sstep::DivOp>(
      loc, small, perChannel(b, op.getScale().getLoc(), scale), std);
  // Pass 3: the output. The deviation is computed again where it is read
  // (the partitioner defers it), so the passes keep x between them and
  // not x and its deviation.
  Value centred = b.create<sstep::SubOp>(loc, type, x, mean);
  Value scaled = b.create<sstep::MulOp>(loc, type, centred, gain);
  // GroupNorm as PyTorch exports it normalises with scale 1 and bias 0,
  // then applies its own affine map.
  bool noBias = bias.isSplat() && bias.getSplatValue<APFloat>().isZero();
  Value y =
      noBias
          ? scaled
          : b.create<sstep::AddOp>(loc, type, scaled,
                                   perChannel(b, op.getBias().getLoc(), bias));
  op.replaceAllUsesWith(y);
  op.erase();
}

struct StreamInstanceNormPass
    : sstep::impl::StreamInstanceNormBase<StreamInstanceNormPass> {
  void runOnOperation() override {
    SmallVector<InstanceNormOp> norms;
    getOperation().walk([&](InstanceNormOp op) { norms.push_back(op); });
    for (InstanceNormOp op : norms)
      stream(op);
  }
};

} // namespace
