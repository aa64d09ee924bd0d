//===- ShapeExpr.h - Shape tensors as expressions of image sizes -*- C++
//-*-===//
//
// Exporters compute sizes at run time: `F.interpolate(x, size=skip.shape[2:])`
// becomes Shape -> Slice -> Concat -> Resize. The importer folds such integer
// subgraphs into expressions of the sizes of the values they measure, so no
// shape op survives and the model still runs on any image size.
//
// Example: Gather(Shape(%e2), 2) * 2 is SymInt{%e2, axis 2, num 2, den 1}.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_FRONTENDS_ONNX_SHAPEEXPR_H
#define SSTEP_FRONTENDS_ONNX_SHAPEEXPR_H

#include "mlir/IR/Value.h"

#include <vector>

namespace sstep::onnx_import {

/// floor(size of `source` along `axis` * num / den), or `constant` when
/// `source` is null.
struct SymInt {
  mlir::Value source;
  int64_t axis = 0;
  int64_t num = 1, den = 1;
  int64_t constant = 0;

  bool isConstant() const { return !source; }
  static SymInt of(int64_t c) { return SymInt{{}, 0, 1, 1, c}; }
};

/// A 0-D or 1-D integer tensor of SymInts.
struct ShapeExpr {
  std::vector<SymInt> elems;
  bool scalar = false;

  bool isConstant() const {
    for (const SymInt &e : elems)
      if (!e.isConstant())
        return false;
    return true;
  }
};

} // namespace sstep::onnx_import

#endif // SSTEP_FRONTENDS_ONNX_SHAPEEXPR_H
