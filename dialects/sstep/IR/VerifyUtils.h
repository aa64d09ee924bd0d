//===- VerifyUtils.h - Checks shared by the op verifiers --------*- C++ -*-===//

#ifndef SSTEP_DIALECTS_SSTEP_IR_VERIFYUTILS_H
#define SSTEP_DIALECTS_SSTEP_IR_VERIFYUTILS_H

#include "dialects/sstep/IR/ShapeRules.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/TypeUtilities.h"

namespace sstep {

/// Checks that `values` has `size` entries, each at least `min`.
inline mlir::LogicalResult verifyIntList(mlir::Operation *op,
                                         llvm::StringRef name,
                                         llvm::ArrayRef<int64_t> values,
                                         size_t size, int64_t min) {
  if (values.size() != size)
    return op->emitOpError() << "expects '" << name << "' to have " << size
                             << " entries, got " << values.size();
  for (int64_t v : values)
    if (v < min)
      return op->emitOpError() << "expects every '" << name
                               << "' entry >= " << min << ", got " << v;
  return mlir::success();
}

/// Checks that two dims agree when both are known.
inline bool dimsAgree(int64_t a, int64_t b) {
  return mlir::ShapedType::isDynamic(a) || mlir::ShapedType::isDynamic(b) ||
         a == b;
}

/// Checks a sliding window's strides, dilations and pads lists.
inline mlir::LogicalResult verifyWindowLists(mlir::Operation *op,
                                             llvm::ArrayRef<int64_t> strides,
                                             llvm::ArrayRef<int64_t> dilations,
                                             llvm::ArrayRef<int64_t> pads) {
  if (mlir::failed(verifyIntList(op, "strides", strides, 2, 1)) ||
      mlir::failed(verifyIntList(op, "dilations", dilations, 2, 1)) ||
      mlir::failed(verifyIntList(op, "pads", pads, 4, 0)))
    return mlir::failure();
  return mlir::success();
}

/// Checks that an image op keeps its input's element type, batch and
/// channels (pools, padding, resizing).
inline mlir::LogicalResult
verifyBatchAndChannels(mlir::Operation *op, mlir::RankedTensorType input,
                       mlir::RankedTensorType output) {
  if (input.getElementType() != output.getElementType())
    return op->emitOpError("expects input and output of one element type");
  for (unsigned dim = 0; dim < 2; ++dim)
    if (!dimsAgree(input.getDimSize(dim), output.getDimSize(dim)))
      return op->emitOpError()
             << "expects output dim " << dim << " to equal the input's";
  return mlir::success();
}

/// The name of spatial axis `axis` in diagnostics.
inline const char *axisName(unsigned axis) { return axis == 0 ? "H" : "W"; }

/// `type`'s shape in the terms of ShapeRules.h (an unknown dimension is -1).
inline shape::Dims dimsOf(mlir::ShapedType type) {
  shape::Dims dims;
  for (int64_t d : type.getShape())
    dims.push_back(mlir::ShapedType::isDynamic(d) ? -1 : d);
  return dims;
}

/// Fails with the rule's error, after `context` ("expects ...").
inline mlir::LogicalResult verifyShapeRule(mlir::Operation *op,
                                           llvm::StringRef context,
                                           const shape::Result &rule) {
  if (!rule.ok())
    return op->emitOpError() << context << ": " << rule.error;
  return mlir::success();
}

/// Checks that `result` agrees with the shape a rule gives.
inline mlir::LogicalResult verifyResultShape(mlir::Operation *op,
                                             const shape::Result &rule,
                                             mlir::ShapedType result) {
  if (!rule.ok())
    return op->emitOpError() << rule.error;
  shape::Dims got = dimsOf(result);
  bool fits = got.size() == rule.dims.size();
  for (size_t i = 0; fits && i < got.size(); ++i)
    fits = shape::agree(got[i], rule.dims[i]);
  if (!fits)
    return op->emitOpError()
           << "expects a result of shape " << shape::format(rule.dims)
           << ", got " << shape::format(got);
  return mlir::success();
}

} // namespace sstep

#endif // SSTEP_DIALECTS_SSTEP_IR_VERIFYUTILS_H
