//===- ConvertPool.cpp - MaxPool, AveragePool and global pools ------------===//
//
// ReduceMean and ReduceMax over H and W with keepdims (what exporters write
// for `x.mean((2, 3), keepdim=True)` in squeeze-and-excitation blocks) are
// global pools; other reductions are not supported.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/VerifyUtils.h"

#include <algorithm>

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

/// ReduceMean/ReduceMax over exactly H and W of a 4-D input, with keepdims.
/// The axes are an attribute up to opset 17 and an input from opset 18.
template <typename Op> void convertSpatialReduce(NodeContext &ctx) {
  ctx.checkAttrs({"axes", "keepdims"});
  Value x = ctx.input(0);
  RankedTensorType type = globalPoolType(ctx, x);
  std::vector<int64_t> axes = ctx.hasInput(1)
                                  ? requireShapeInput(ctx, 1, "axes")
                                  : ctx.intsAttr("axes", {});
  for (int64_t &axis : axes)
    axis = normalizeAxis(ctx, axis, 4, ctx.opset() >= 11, "reduction axis");
  std::sort(axes.begin(), axes.end());
  if (axes != std::vector<int64_t>{2, 3} || ctx.intAttr("keepdims", 1) != 1)
    ctx.fail("only a reduction over axes [2, 3] with keepdims=1 (a global "
             "pool) is supported");
  ctx.setOutput(0, ctx.builder().create<Op>(ctx.loc(), type, x));
}

} // namespace

void addPoolConverters(ConverterTable &table) {
  table["MaxPool"] = convertMaxPool;
  table["AveragePool"] = convertAveragePool;
  table["GlobalAveragePool"] = convertGlobalPool<GlobalAvgPool2DOp>;
  table["GlobalMaxPool"] = convertGlobalPool<GlobalMaxPool2DOp>;
  table["ReduceMean"] = convertSpatialReduce<GlobalAvgPool2DOp>;
  table["ReduceMax"] = convertSpatialReduce<GlobalMaxPool2DOp>;
}

} // namespace sstep::onnx_import
