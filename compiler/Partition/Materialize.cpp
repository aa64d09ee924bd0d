//===- Materialize.cpp - Which tile results leave their stage -------------===//

#include "compiler/Partition/Materialize.h"

#include "mlir/IR/Builders.h"

using namespace mlir;

namespace sstep {

void markMaterialized(func::FuncOp func) {
  Builder builder(func.getContext());
  func.walk([&](Operation *op) {
    auto role = op->getAttrOfType<StringAttr>("sstep.role");
    if (!role || role.getValue() != "tile")
      return;
    auto stage = op->getAttrOfType<IntegerAttr>("sstep.stage");
    bool leaves = llvm::any_of(op->getUsers(), [&](Operation *user) {
      auto userRole = user->getAttrOfType<StringAttr>("sstep.role");
      auto userStage = user->getAttrOfType<IntegerAttr>("sstep.stage");
      return !userRole || userRole.getValue() == "whole" ||
             (userRole.getValue() == "tile" && userStage != stage);
    });
    if (leaves)
      op->setAttr("sstep.materialize", builder.getUnitAttr());
    else
      op->removeAttr("sstep.materialize");
  });
}

} // namespace sstep
