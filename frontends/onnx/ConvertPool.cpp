//===- ConvertPool.cpp - MaxPool and AveragePool --------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"

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

} // namespace

void addPoolConverters(ConverterTable &table) {
  table["MaxPool"] = convertMaxPool;
  table["AveragePool"] = convertAveragePool;
}

} // namespace sstep::onnx_import
