//===- ConvertPool.cpp - MaxPool, AveragePool and global pools ------------===//
//
// ReduceMean and ReduceMax over H and W with keepdims (what exporters write
// for `x.mean((2, 3), keepdim=True)` in squeeze-and-excitation blocks) are
// global pools (a ReduceMax's marked `split_ties`: its gradient, as amax's,
// is split among tied maxima); other reductions (and ReduceSum, ReduceMin)
// are sstep.reduce.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

#include <algorithm>
#include <type_traits>

using namespace mlir;

namespace sstep::onnx_import {
namespace {

/// What MaxPool and AveragePool read alike: the input, its window with
/// auto_pad resolved, ceil_mode, and the result type that follows.
struct PoolNode {
  Value input;
  Window2D window;
  bool ceil;
  RankedTensorType type;
};

PoolNode readPool(NodeContext &ctx, bool hasDilations) {
  PoolNode p;
  p.input = ctx.input(0);
  RankedTensorType xType = tensorType(ctx, p.input);
  p.window = readWindow2D(ctx, xType, {}, hasDilations);
  p.ceil = ctx.intAttr("ceil_mode", 0) != 0;
  p.type = windowOutputType(ctx, xType, xType.getDimSize(1), p.window, p.ceil);
  return p;
}

void convertMaxPool(NodeContext &ctx) {
  ctx.checkAttrs({"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
                  "storage_order", "strides"});
  if (ctx.outputUsed(1))
    ctx.fail("the Indices output is not supported");
  if (ctx.intAttr("storage_order", 0) != 0)
    ctx.fail("storage_order=1 only affects Indices, which is not supported");
  PoolNode p = readPool(ctx, true);
  const Window2D &w = p.window;
  OpBuilder &b = ctx.builder();
  ctx.setOutput(0, b.create<MaxPool2DOp>(ctx.loc(), p.type, p.input,
                                         b.getDenseI64ArrayAttr(w.kernel),
                                         b.getDenseI64ArrayAttr(w.strides),
                                         b.getDenseI64ArrayAttr(w.dilations),
                                         b.getDenseI64ArrayAttr(w.pads),
                                         b.getBoolAttr(p.ceil)));
}

void convertAveragePool(NodeContext &ctx) {
  ctx.checkAttrs({"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape",
                  "pads", "strides"});
  PoolNode p = readPool(ctx, false);
  const Window2D &w = p.window;
  bool includePad = ctx.intAttr("count_include_pad", 0) != 0;
  OpBuilder &b = ctx.builder();
  ctx.setOutput(0, b.create<AvgPool2DOp>(ctx.loc(), p.type, p.input,
                                         b.getDenseI64ArrayAttr(w.kernel),
                                         b.getDenseI64ArrayAttr(w.strides),
                                         b.getDenseI64ArrayAttr(w.dilations),
                                         b.getDenseI64ArrayAttr(w.pads),
                                         b.getBoolAttr(p.ceil),
                                         b.getBoolAttr(includePad)));
}

/// The N x C x 1 x 1 result of a global pool over a 4-D input.
RankedTensorType globalPoolType(NodeContext &ctx, Value x) {
  RankedTensorType xType = tensorType(ctx, x);
  if (xType.getRank() != 4 || !isa<FloatType>(xType.getElementType()))
    ctx.fail("expects a 4-D NCHW float input, got " +
             shape::format(dimsOf(xType)));
  return RankedTensorType::get({xType.getDimSize(0), xType.getDimSize(1), 1, 1},
                               xType.getElementType());
}

template <typename Op> void convertGlobalPool(NodeContext &ctx) {
  ctx.checkAttrs({});
  Value x = ctx.input(0);
  ctx.setOutput(0,
                ctx.builder().create<Op>(ctx.loc(), globalPoolType(ctx, x), x));
}

/// What a norm-like reduction does around its sum: ReduceL2 is
/// sqrt(sum(x * x)) (ConvNeXt-V2's global response normalisation),
/// ReduceSumSquare sum(x * x), ReduceL1 sum(|x|).
enum class Around { None, L2, SumSquare, L1 };

/// ReduceMean/Sum/Max/Min. Over exactly H and W of a 4-D input with keepdims
/// (squeeze-and-excitation's `x.mean((2, 3), keepdim=True)`) it is a global
/// pool, which tiles reduce piecewise; anything else is an sstep.reduce. The
/// axes are an attribute, or an input (ReduceSum from opset 13, the rest
/// from 18); none means all of them, or no reduction with
/// `noop_with_empty_axes`.
template <typename GlobalPool>
void convertReduce(NodeContext &ctx, const char *kind,
                   Around around = Around::None) {
  ctx.checkAttrs({"axes", "keepdims", "noop_with_empty_axes"});
  Value x = ctx.input(0);
  RankedTensorType type = tensorType(ctx, x);
  if (!isa<FloatType>(type.getElementType()))
    ctx.fail("expects a float input");
  std::vector<int64_t> axes = ctx.hasInput(1)
                                  ? requireShapeInput(ctx, 1, "axes")
                                  : ctx.intsAttr("axes", {});
  const int64_t rank = type.getRank();
  if (axes.empty()) {
    if (ctx.intAttr("noop_with_empty_axes", 0) != 0) {
      ctx.setOutput(0, x);
      return;
    }
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  for (int64_t &axis : axes)
    axis = normalizeAxis(ctx, axis, rank, ctx.opset() >= 11, "reduction axis");
  std::sort(axes.begin(), axes.end());
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i] == axes[i - 1])
      ctx.fail("reduction axis " + std::to_string(axes[i]) + " is given twice");
  const bool keep = ctx.intAttr("keepdims", 1) != 0;
  OpBuilder &b = ctx.builder();
  if (around == Around::L2 || around == Around::SumSquare)
    x = b.create<MulOp>(ctx.loc(), type, x, x);
  else if (around == Around::L1)
    x = b.create<AbsOp>(ctx.loc(), type, x);
  if constexpr (!std::is_same_v<GlobalPool, void>) {
    if (rank == 4 && keep && axes == std::vector<int64_t>{2, 3}) {
      auto pool = b.create<GlobalPool>(ctx.loc(), globalPoolType(ctx, x), x);
      // amax splits its gradient among tied maxima; a global max pool
      // sends it to the first.
      if constexpr (std::is_same_v<GlobalPool, GlobalMaxPool2DOp>)
        pool.setSplitTies(true);
      ctx.setOutput(0, pool);
      return;
    }
  }
  RankedTensorType result = ruleType(
      ctx, shape::reduce(dimsOf(type), axes, keep), type.getElementType());
  Value reduced =
      b.create<ReduceOp>(ctx.loc(), result, x, b.getStringAttr(kind),
                         b.getDenseI64ArrayAttr(axes), b.getBoolAttr(keep));
  if (around == Around::L2)
    reduced = b.create<SqrtOp>(ctx.loc(), result, reduced);
  ctx.setOutput(0, reduced);
}

} // namespace

void addPoolConverters(ConverterTable &table) {
  table["MaxPool"] = convertMaxPool;
  table["AveragePool"] = convertAveragePool;
  table["GlobalAveragePool"] = convertGlobalPool<GlobalAvgPool2DOp>;
  table["GlobalMaxPool"] = convertGlobalPool<GlobalMaxPool2DOp>;
  table["ReduceMean"] = [](NodeContext &ctx) {
    convertReduce<GlobalAvgPool2DOp>(ctx, "mean");
  };
  table["ReduceMax"] = [](NodeContext &ctx) {
    convertReduce<GlobalMaxPool2DOp>(ctx, "max");
  };
  table["ReduceMin"] = [](NodeContext &ctx) {
    convertReduce<void>(ctx, "min");
  };
  table["ReduceSum"] = [](NodeContext &ctx) {
    convertReduce<void>(ctx, "sum");
  };
  table["ReduceL2"] = [](NodeContext &ctx) {
    convertReduce<void>(ctx, "sum", Around::L2);
  };
  table["ReduceSumSquare"] = [](NodeContext &ctx) {
    convertReduce<void>(ctx, "sum", Around::SumSquare);
  };
  table["ReduceL1"] = [](NodeContext &ctx) {
    convertReduce<void>(ctx, "sum", Around::L1);
  };
}

} // namespace sstep::onnx_import
