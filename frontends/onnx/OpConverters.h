//===- OpConverters.h - ONNX op to sstep op converters ----------*- C++ -*-===//
//
// One converter per ONNX op type, grouped by family in Convert*.cpp. A
// converter reads its node through NodeContext, creates sstep ops and binds
// the node's outputs; anything it cannot import exactly is NodeContext::fail.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_FRONTENDS_ONNX_OPCONVERTERS_H
#define SSTEP_FRONTENDS_ONNX_OPCONVERTERS_H

#include "frontends/onnx/NodeContext.h"

#include "llvm/ADT/StringMap.h"

namespace sstep::onnx_import {

using ConvertFn = void (*)(NodeContext &);
using ConverterTable = llvm::StringMap<ConvertFn>;

/// Every converter of the default (ai.onnx) domain, by op type.
const ConverterTable &converters();

void addConvConverters(ConverterTable &table);
void addConvTransposeConverters(ConverterTable &table);
void addPoolConverters(ConverterTable &table);
void addPointwiseConverters(ConverterTable &table);
void addStructuralConverters(ConverterTable &table);
void addShapeConverters(ConverterTable &table);
void addGeometryConverters(ConverterTable &table);

/// Evaluates a data-movement node (Reshape, Transpose, Slice, Concat,
/// ConstantOfShape, Cast) whose inputs are all constants; returns false,
/// doing nothing, otherwise.
bool foldConstantNode(NodeContext &ctx);

/// Mul (or Div) on shape expressions (see ShapeExpr.h): folds the node and
/// returns true when an input is a shape computation or both are integer
/// constants; returns false for tensors.
bool convertShapeArithmetic(NodeContext &ctx, bool divide);

// Helpers shared by the converters.

/// The type of a value, which must be a ranked tensor.
mlir::RankedTensorType tensorType(NodeContext &ctx, mlir::Value value);

/// ONNX's 2-D window attributes: kernel from `kernel_shape` (or the weight),
/// strides, dilations, pads as [top, left, bottom, right] with auto_pad
/// resolved. Fails on anything but two spatial axes.
struct Window2D {
  std::vector<int64_t> kernel, strides, dilations, pads;
};
Window2D readWindow2D(NodeContext &ctx, mlir::RankedTensorType input,
                      std::vector<int64_t> kernel, bool hasDilations);

/// The NCHW result type of a sliding window with `channels` output channels;
/// spatial sizes are dynamic where the input's are.
mlir::RankedTensorType windowOutputType(NodeContext &ctx,
                                        mlir::RankedTensorType input,
                                        int64_t channels, const Window2D &w,
                                        bool ceilMode);

} // namespace sstep::onnx_import

#endif // SSTEP_FRONTENDS_ONNX_OPCONVERTERS_H
