//===- SizeOrigin.cpp - Which value a dimension's size comes from ---------===//

#include "dialects/sstep/Transforms/SizeOrigin.h"
#include "dialects/sstep/IR/SStepOps.h"
#include "dialects/sstep/IR/ShapeRules.h"

using namespace mlir;

namespace sstep {

std::pair<Value, int64_t> originOf(Value v, int64_t axis) {
  while (Operation *op = v.getDefiningOp()) {
    if (auto t = dyn_cast<TransposeOp>(op)) {
      axis = t.getPerm()[axis];
    } else if (auto r = dyn_cast<ReshapeOp>(op)) {
      int64_t entry = r.getShape()[axis];
      if (entry <= shape::kInputDim(0))
        axis = -entry - 2;
      else if (entry != 0 || r.getAllowzero())
        break;
    } else if (isa<InstanceNormOp, LayerNormOp>(op)) {
      // Their output has their input's type (AllTypesMatch).
    } else if (!op->hasTrait<OpTrait::SameOperandsAndResultType>()) {
      break;
    }
    v = op->getOperand(0);
  }
  return {v, axis};
}

bool sameDim(Value a, int64_t ai, Value b, int64_t bi) {
  int64_t da = cast<ShapedType>(a.getType()).getDimSize(ai);
  int64_t db = cast<ShapedType>(b.getType()).getDimSize(bi);
  if (!ShapedType::isDynamic(da) && !ShapedType::isDynamic(db))
    return da == db;
  return originOf(a, ai) == originOf(b, bi);
}

} // namespace sstep
