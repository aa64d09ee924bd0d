//===- ChannelShuffle.cpp - Reshape/Transpose/Reshape as a shuffle --------===//

#include "dialects/sstep/Transforms/ChannelShuffle.h"
#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/Transforms/SizeOrigin.h"

using namespace mlir;

namespace sstep {
namespace {

struct RecognizeChannelShuffle : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp back,
                                PatternRewriter &rewriter) const override {
    auto swap = back.getInput().getDefiningOp<TransposeOp>();
    if (!swap || swap.getPerm() != ArrayRef<int64_t>{0, 2, 1, 3, 4})
      return failure();
    auto split = swap.getInput().getDefiningOp<ReshapeOp>();
    if (!split)
      return failure();
    Value x = split.getInput(), r = split.getOutput(), y = back.getOutput();
    auto xType = cast<RankedTensorType>(x.getType());
    auto rType = cast<RankedTensorType>(r.getType());
    if (xType.getRank() != 4 || rType.getRank() != 5 ||
        y.getType() != x.getType())
      return failure();
    // x: N x C x H x W, r: N x g x C/g x H x W, y: N x C x H x W.
    int64_t c = xType.getDimSize(1), g = rType.getDimSize(1);
    int64_t per = rType.getDimSize(2);
    if (ShapedType::isDynamic(c) || ShapedType::isDynamic(g) ||
        ShapedType::isDynamic(per) || g * per != c || g < 1)
      return failure();
    if (!sameDim(r, 0, x, 0) || !sameDim(r, 3, x, 2) || !sameDim(r, 4, x, 3) ||
        !sameDim(y, 0, x, 0) || !sameDim(y, 2, x, 2) || !sameDim(y, 3, x, 3))
      return failure();
    rewriter.replaceOpWithNewOp<ChannelShuffleOp>(
        back, back.getType(), x, rewriter.getI64IntegerAttr(g));
    return success();
  }
};

} // namespace

void populateChannelShufflePatterns(RewritePatternSet &patterns) {
  patterns.add<RecognizeChannelShuffle>(patterns.getContext());
}

} // namespace sstep
