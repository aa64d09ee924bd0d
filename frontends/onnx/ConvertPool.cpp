//===- ConvertPool.cpp - MaxPool and AveragePool --------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepOps.h"

using namespace mlir;

namespace sstep::onnx_import {
namespace {

void convertMaxPool(NodeContext &ctx) {
  ctx.checkAttrs({"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
                  "storage_order", "strides"});
  if (ctx.outputUsed(1))
    ctx.fail("the Indices output is not supported");
  if (ctx.intAttr("storage_order", 0) != 0)
    ctx.fail("storage_order=1 only affects Indices, which is not supported");
  Value x = ctx.input(0);
  RankedTensorType xType = tensorType(ctx, x);
  Window2D w = readWindow2D(ctx, xType, {}, true);
  bool ceil = ctx.intAttr("ceil_mode", 0) != 0;
  OpBuilder &b = ctx.builder();
  RankedTensorType type =
      windowOutputType(ctx, xType, xType.getDimSize(1), w, ceil);
  ctx.setOutput(0, b.create<MaxPool2DOp>(
                       ctx.loc(), type, x, b.getDenseI64ArrayAttr(w.kernel),
                       b.getDenseI64ArrayAttr(w.strides),
                       b.getDenseI64ArrayAttr(w.dilations),
                       b.getDenseI64ArrayAttr(w.pads), b.getBoolAttr(ceil)));
}

void convertAveragePool(NodeContext &ctx) {
  ctx.checkAttrs({"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape",
                  "pads", "strides"});
  Value x = ctx.input(0);
  RankedTensorType xType = tensorType(ctx, x);
  Window2D w = readWindow2D(ctx, xType, {}, false);
  bool ceil = ctx.intAttr("ceil_mode", 0) != 0;
  bool includePad = ctx.intAttr("count_include_pad", 0) != 0;
  OpBuilder &b = ctx.builder();
  RankedTensorType type =
      windowOutputType(ctx, xType, xType.getDimSize(1), w, ceil);
  ctx.setOutput(0, b.create<AvgPool2DOp>(
                       ctx.loc(), type, x, b.getDenseI64ArrayAttr(w.kernel),
                       b.getDenseI64ArrayAttr(w.strides),
                       b.getDenseI64ArrayAttr(w.dilations),
                       b.getDenseI64ArrayAttr(w.pads), b.getBoolAttr(ceil),
                       b.getBoolAttr(includePad)));
}

} // namespace

void addPoolConverters(ConverterTable &table) {
  table["MaxPool"] = convertMaxPool;
  table["AveragePool"] = convertAveragePool;
}

} // namespace sstep::onnx_import
