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

#include "dialects/sstep/IR/ShapeRules.h"

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
void addTensorConverters(ConverterTable &table);
void addMatrixConverters(ConverterTable &table);
void addNormConverters(ConverterTable &table);

/// Evaluates a data-movement node (Reshape, Transpose, Slice, Concat,
/// ConstantOfShape, Cast) whose inputs are all constants; returns false,
/// doing nothing, otherwise.
bool foldConstantNode(NodeContext &ctx);

// Arithmetic on integer (shape) tensors: ShapeArithmetic.cpp, ConvertShape.cpp.

/// Converts a node that computes on shapes (an integer input, as Shape
/// subgraphs produce, or a Reshape whose target shape is computed) and
/// returns true; returns false for a node on float tensors with constant
/// shapes. Converters of ops that also appear on shapes (Concat, Reshape,
/// Add/Sub/Mul/Div) call it first. What cannot be folded exactly fails.
bool convertShapeArithmetic(NodeContext &ctx);

/// Mul, Div, Add or Sub (`op`: '*', '/', '+', '-') of shape expressions
/// (see ShapeExpr.h), folded.
void foldShapeArithmetic(NodeContext &ctx, char op);
/// Neg of a shape expression, folded.
void foldShapeNegation(NodeContext &ctx);
/// a + sign * b of image sizes that stays the same constant for every image
/// size (HoVer-Net's crop offsets); fails naming why otherwise (SizeSum.cpp).
SymInt foldSizeSum(NodeContext &ctx, const SymInt &a, const SymInt &b,
                   int64_t sign);
/// Concat of 1-D shape expressions, folded.
void foldShapeConcat(NodeContext &ctx);

/// HoVer-Net's UpSample2x, `tensordot(x[..., None], ones(1, a, b))` then
/// a permute and a reshape to N x C x aH x bW, is a nearest upsampling by
/// (a, b) (times the matrix's one value). Called for a node reading a
/// pending value; converts it and returns true when the node ends that chain
/// (Unpool.cpp).
bool absorbUnpool(NodeContext &ctx, const Scope &scope,
                  const llvm::StringMap<const onnx::NodeProto *> &producers);

/// The values of input `i`, a 1-D integer constant such as Reshape's target.
std::vector<int64_t> requireShapeInput(NodeContext &ctx, size_t i,
                                       const char *what);

// Helpers shared by the converters.

/// The type of a value, which must be a ranked tensor.
mlir::RankedTensorType tensorType(NodeContext &ctx, mlir::Value value);

/// `axis` in [0, rank), counting from the end when negative (as ONNX allows
/// from opset 11 on, and `allowNegative` says); fails otherwise.
int64_t normalizeAxis(NodeContext &ctx, int64_t axis, int64_t rank,
                      bool allowNegative, const char *what = "axis");

/// A float tensor type built from a rule's dims (ShapeRules.h, -1 unknown),
/// or a failure with the rule's error.
mlir::RankedTensorType ruleType(NodeContext &ctx, const shape::Result &rule,
                                mlir::Type element);

/// Sets output 0 to `x` reshaped to `target` (ONNX entries, or SSTEP's
/// kInputDim copies), its type from the reshape rule.
void setReshapeOutput(NodeContext &ctx, mlir::Value x,
                      const std::vector<int64_t> &target, bool allowZero);

/// ONNX's 2-D window attributes: kernel from `kernel_shape` (or the weight),
/// strides, dilations, pads as [top, left, bottom, right] with auto_pad
/// resolved. Fails on anything but two spatial axes.
/// Fails naming the node unless every entry of the window attribute `what`
/// is in [lo, 2^30]: bounded so that window arithmetic (d * (k - 1) + 1,
/// pads + size) stays far from int64's ends.
void checkWindowValues(NodeContext &ctx, const char *what,
                       const std::vector<int64_t> &values, int64_t lo);

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
