//===- SinkTransposes.cpp - Channel-last blocks as channel ops ------------===//

#include "dialects/sstep/Transforms/SinkTransposes.h"
#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/Transforms/ChannelShuffle.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <numeric>

using namespace mlir;

namespace sstep {
namespace {

using Perm = llvm::SmallVector<int64_t, 4>;

bool isIdentity(ArrayRef<int64_t> perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != int64_t(i))
      return false;
  return true;
}

/// `shape` of a transpose's input, from its result's: result dim i is input
/// dim perm[i].
llvm::SmallVector<int64_t, 4> unpermute(ArrayRef<int64_t> shape,
                                        ArrayRef<int64_t> perm) {
  llvm::SmallVector<int64_t, 4> out(shape.size());
  for (size_t i = 0; i < perm.size(); ++i)
    out[perm[i]] = shape[i];
  return out;
}

RankedTensorType withShape(Type type, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape,
                               cast<RankedTensorType>(type).getElementType());
}

/// A constant re-laid out from `source`, an initializer: at the top of the
/// block, where the importer puts initializers and the folder leaves them
/// with their location, which names the weight after the initializer
/// (the plan's weight names, Session::setWeights).
Value derivedConstant(PatternRewriter &rewriter, Value source,
                      DenseElementsAttr value) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(source.getParentBlock());
  return rewriter.create<arith::ConstantOp>(source.getLoc(), value);
}

/// The transpose producing `v`, if any.
TransposeOp transposeOf(Value v) { return v.getDefiningOp<TransposeOp>(); }

/// A float constant's shape and values, if `v` is one.
std::optional<std::pair<llvm::SmallVector<int64_t, 4>, std::vector<float>>>
constantOf(Value v) {
  auto op = v.getDefiningOp<arith::ConstantOp>();
  if (!op)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
  if (!dense || !dense.getElementType().isF32())
    return std::nullopt;
  auto type = cast<RankedTensorType>(dense.getType());
  return std::make_pair(
      llvm::SmallVector<int64_t, 4>(type.getShape()),
      std::vector<float>(dense.value_begin<float>(), dense.value_end<float>()));
}

/// Whether relayout() can re-lay `c` out for a transpose of rank `rank`.
bool relayoutable(Value c, size_t rank) {
  auto constant = constantOf(c);
  return constant && constant->first.size() <= rank;
}

/// A constant `c` broadcast (NumPy) against the result of a transpose by
/// `perm`, laid out for the transpose's input instead: right-aligned to the
/// rank, permuted back, leading 1s dropped. A [C] scale of NHWC becomes the
/// Cx1x1 scale of NCHW.
Value relayout(PatternRewriter &rewriter, Value c, ArrayRef<int64_t> perm) {
  auto constant = constantOf(c);
  if (!constant)
    return {};
  auto &[shape, values] = *constant;
  const size_t rank = perm.size();
  if (shape.empty())
    return c; // a scalar broadcasts the same either way
  if (shape.size() > rank)
    return {};
  llvm::SmallVector<int64_t, 4> full(rank - shape.size(), 1);
  full.append(shape.begin(), shape.end());
  llvm::SmallVector<int64_t, 4> outShape = unpermute(full, perm);
  // Strides of `full` and of the output, both row-major.
  llvm::SmallVector<int64_t, 4> inStride(rank, 1), outStride(rank, 1);
  for (int64_t i = int64_t(rank) - 2; i >= 0; --i) {
    inStride[i] = inStride[i + 1] * full[i + 1];
    outStride[i] = outStride[i + 1] * outShape[i + 1];
  }
  std::vector<float> out(values.size());
  for (size_t flat = 0; flat < values.size(); ++flat) {
    // Output dim perm[i] is `full` dim i.
    int64_t rest = int64_t(flat), o = 0;
    for (size_t i = 0; i < rank; ++i) {
      int64_t index = rest / inStride[i];
      rest %= inStride[i];
      o += index * outStride[perm[i]];
    }
    out[size_t(o)] = values[flat];
  }
  // A per-channel constant of NCHW as C x 1 x 1, the form the kernels and
  // the locality rules know; anything else keeps its rank, so a constant
  // that varies over H or W stays recognisably spatial.
  if (outShape.size() == 4 && outShape[0] == 1 && outShape[2] == 1 &&
      outShape[3] == 1)
    outShape.erase(outShape.begin());
  auto type = RankedTensorType::get(outShape, rewriter.getF32Type());
  return derivedConstant(rewriter, c,
                         DenseElementsAttr::get(type, ArrayRef<float>(out)));
}

/// Replaces `op` (one result) by `clone` transposed by `perm`.
void replaceTransposed(PatternRewriter &rewriter, Operation *op,
                       Operation *clone, ArrayRef<int64_t> perm) {
  auto t = rewriter.create<TransposeOp>(
      op->getLoc(), op->getResult(0).getType(), clone->getResult(0),
      rewriter.getDenseI64ArrayAttr(perm));
  rewriter.replaceOp(op, t.getResult());
}

/// transpose(transpose(x, p), q) is transpose(x, p o q), or x.
struct ComposeTransposes : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    ArrayRef<int64_t> outer = op.getPerm();
    if (isIdentity(outer)) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    TransposeOp inner = transposeOf(op.getInput());
    if (!inner)
      return failure();
    ArrayRef<int64_t> first = inner.getPerm();
    Perm composed(outer.size());
    for (size_t i = 0; i < outer.size(); ++i)
      composed[i] = first[outer[i]];
    if (isIdentity(composed))
      rewriter.replaceOp(op, inner.getInput());
    else
      rewriter.replaceOpWithNewOp<TransposeOp>(
          op, op.getType(), inner.getInput(),
          rewriter.getDenseI64ArrayAttr(composed));
    return success();
  }
};

/// unary(transpose(x)) is transpose(unary(x)).
struct SinkThroughUnary : RewritePattern {
  SinkThroughUnary(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), 1, context) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<ReluOp, SigmoidOp, TanhOp, ErfOp, ExpOp, SqrtOp, LogOp, AbsOp,
             NegOp, HardSwishOp, GeluOp, SiluOp, LeakyReluOp, HardSigmoidOp,
             PowOp, ClipOp>(op))
      return failure();
    TransposeOp t = transposeOf(op->getOperand(0));
    if (!t)
      return failure();
    Operation *clone = rewriter.clone(*op);
    clone->setOperand(0, t.getInput());
    clone->getResult(0).setType(t.getInput().getType());
    replaceTransposed(rewriter, op, clone, t.getPerm());
    return success();
  }
};

/// binary(transpose(x), transpose(y) or constant) is transpose(binary(x, y')).
struct SinkThroughBinary : RewritePattern {
  SinkThroughBinary(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), 1, context) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<AddOp, SubOp, MulOp, DivOp>(op))
      return failure();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    for (unsigned side = 0; side < 2; ++side) {
      TransposeOp t = transposeOf(op->getOperand(side));
      if (!t || t.getType().getRank() != resultType.getRank())
        continue;
      ArrayRef<int64_t> perm = t.getPerm();
      Value other = op->getOperand(1 - side), otherNew;
      TransposeOp u = transposeOf(other);
      if (u && u.getPerm() == perm)
        otherNew = u.getInput();
      else
        otherNew = relayout(rewriter, other, perm);
      if (!otherNew)
        continue;
      Operation *clone = rewriter.clone(*op);
      clone->setOperand(side, t.getInput());
      clone->setOperand(1 - side, otherNew);
      clone->getResult(0).setType(
          withShape(resultType, unpermute(resultType.getShape(), perm)));
      replaceTransposed(rewriter, op, clone, perm);
      return success();
    }
    return failure();
  }
};

/// Axes of the result of a transpose by `perm`, as axes of its input.
DenseI64ArrayAttr unpermuteAxes(PatternRewriter &rewriter,
                                ArrayRef<int64_t> axes,
                                ArrayRef<int64_t> perm) {
  Perm out;
  for (int64_t a : axes)
    out.push_back(perm[a]);
  llvm::sort(out);
  return rewriter.getDenseI64ArrayAttr(out);
}

/// layer_norm/softmax/log_softmax over `axes` of transpose(x): the same over
/// the permuted axes of x, with scale and bias laid out for x.
template <typename Op> struct SinkThroughNormalization : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op,
                                PatternRewriter &rewriter) const override {
    TransposeOp t = transposeOf(op->getOperand(0));
    if (!t)
      return failure();
    ArrayRef<int64_t> perm = t.getPerm();
    // Check every parameter before creating any constant: a pattern that
    // fails must leave the IR as it found it.
    for (unsigned i = 1; i < op->getNumOperands(); ++i)
      if (!relayoutable(op->getOperand(i), perm.size()))
        return failure();
    llvm::SmallVector<Value, 3> operands{t.getInput()};
    for (unsigned i = 1; i < op->getNumOperands(); ++i) {
      Value v = relayout(rewriter, op->getOperand(i), perm);
      if (!v)
        return failure();
      operands.push_back(v);
    }
    Operation *clone = rewriter.clone(*op.getOperation());
    clone->setOperands(operands);
    clone->getResult(0).setType(t.getInput().getType());
    clone->setAttr("axes", unpermuteAxes(rewriter, op.getAxes(), perm));
    replaceTransposed(rewriter, op, clone, perm);
    return success();
  }
};

/// matmul(transpose(x, [0,2,3,1]), W) with a constant C x D matrix W is
/// transpose(conv2d(x, W^T as D x C x 1 x 1)): a Linear layer on the channels
/// of a channels-last image.
struct MatMulAsConvolution : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    TransposeOp t = transposeOf(op.getLhs());
    auto matrix = constantOf(op.getRhs());
    if (!t || !matrix || t.getPerm() != ArrayRef<int64_t>{0, 2, 3, 1})
      return failure();
    auto &[shape, values] = *matrix;
    auto inType = cast<RankedTensorType>(t.getInput().getType());
    if (shape.size() != 2 || inType.getDimSize(1) != shape[0])
      return failure();
    const int64_t c = shape[0], d = shape[1];
    std::vector<float> weight(values.size());
    for (int64_t i = 0; i < c; ++i)
      for (int64_t j = 0; j < d; ++j)
        weight[size_t(j * c + i)] = values[size_t(i * d + j)];
    auto weightType =
        RankedTensorType::get({d, c, 1, 1}, rewriter.getF32Type());
    Value w = derivedConstant(
        rewriter, op.getRhs(),
        DenseElementsAttr::get(weightType, ArrayRef<float>(weight)));
    llvm::SmallVector<int64_t, 4> outShape(inType.getShape());
    outShape[1] = d;
    auto conv = rewriter.create<Conv2DOp>(
        op.getLoc(), TypeRange{withShape(inType, outShape)},
        ValueRange{t.getInput(), w});
    replaceTransposed(rewriter, op, conv, t.getPerm());
    return success();
  }
};

} // namespace

void populateSinkTransposesPatterns(RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ComposeTransposes, SinkThroughUnary, SinkThroughBinary,
               SinkThroughNormalization<LayerNormOp>,
               SinkThroughNormalization<SoftmaxOp>,
               SinkThroughNormalization<LogSoftmaxOp>, MatMulAsConvolution>(
      context);
}

LogicalResult sinkTransposes(Operation *root) {
  RewritePatternSet patterns(root->getContext());
  populateSinkTransposesPatterns(patterns);
  return applyPatternsAndFoldGreedily(root, std::move(patterns));
}

LogicalResult cleanUpImport(Operation *root) {
  RewritePatternSet patterns(root->getContext());
  populateSinkTransposesPatterns(patterns);
  populateChannelShufflePatterns(patterns);
  return applyPatternsAndFoldGreedily(root, std::move(patterns));
}

} // namespace sstep
