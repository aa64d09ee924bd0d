//===- Partition.cpp - Tile groups bounded by non-local ops ---------------===//
//
// Assigns each op its role and stage; see Passes.td for the rules and an
// example. Windows are not computed here: they depend on the image size,
// which only the runtime knows, and follow from the ops' window rules.
//
//===----------------------------------------------------------------------===//

#include "compiler/Partition/Materialize.h"
#include "compiler/Partition/PlanReport.h"
#include "compiler/Passes.h"
#include "dialects/sstep/IR/SStepOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace sstep {
#define GEN_PASS_DEF_PARTITION
#include "compiler/Passes.h.inc"
} // namespace sstep

using namespace mlir;
using namespace sstep;

namespace {

struct PartitionPass : public sstep::impl::PartitionBase<PartitionPass> {
  using PartitionBase::PartitionBase;
  void runOnOperation() override;

private:
  void partition(func::FuncOp func);
  /// The role of `op`, given which of its operands are images computed from
  /// the input.
  StringRef roleOf(Operation *op);
  void deferToReaders(func::FuncOp func);

  /// The stage at which each value is ready.
  llvm::DenseMap<Value, int64_t> ready;
  /// Images computed from the input (not constants, not reductions).
  llvm::DenseSet<Value> images;
};

StringRef PartitionPass::roleOf(Operation *op) {
  bool readsImage = llvm::any_of(op->getOperands(),
                                 [&](Value v) { return images.contains(v); });
  if (!readsImage)
    return "global";
  if (getWindowRule(op))
    return "tile";
  auto nonLocal = dyn_cast<NonLocalOpInterface>(op);
  if (nonLocal && !nonLocal.getTileReduction().empty())
    return "reduce";
  return "whole";
}

void PartitionPass::runOnOperation() {
  ModuleOp module = getOperation();
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isExternal())
      partition(func);
  if (image.empty())
    return;
  if (image.size() != 2 || image[0] < 1 || image[1] < 1) {
    module.emitError("sstep-partition: image takes H,W, both positive");
    return signalPassFailure();
  }
  if (failed(reportPlan(module, image[0], image[1], tile)))
    signalPassFailure();
}

void PartitionPass::partition(func::FuncOp func) {
  ready.clear();
  images.clear();
  for (BlockArgument arg : func.getArguments()) {
    ready[arg] = 0;
    if (isImageType(arg.getType()))
      images.insert(arg);
  }
  Builder builder(&getContext());
  int64_t stages = 0;
  for (Operation &op : func.getBody().front()) {
    if (!isa<SStepDialect>(op.getDialect()))
      continue;
    int64_t stage = 0;
    for (Value operand : op.getOperands())
      stage = std::max(stage, ready.lookup(operand));
    StringRef role = roleOf(&op);
    op.setAttr("sstep.role", builder.getStringAttr(role));
    op.setAttr("sstep.stage", builder.getI64IntegerAttr(stage));
    bool runsAfterTiles = role == "reduce" || role == "whole";
    if (role == "tile")
      stages = std::max(stages, stage + 1);
    for (Value result : op.getResults()) {
      ready[result] = runsAfterTiles ? stage + 1 : stage;
      if ((role == "tile" || role == "whole") && isImageType(result.getType()))
        images.insert(result);
    }
  }
  deferToReaders(func);
  markMaterialized(func);
  func->setAttr("sstep.stages", builder.getI64IntegerAttr(stages));
}

namespace {
int64_t stageOf(Operation *op) {
  return op->getAttrOfType<IntegerAttr>("sstep.stage").getInt();
}
bool hasRole(Operation *op, StringRef role) {
  auto attr = op->getAttrOfType<StringAttr>("sstep.role");
  return attr && attr.getValue() == role;
}
} // namespace

// A pointwise tile op that reads one image, from an earlier stage (so
// stored), and whose readers all run in later stages is computed where it
// is read: keeping that image longer costs no more than storing the result
// (a pointwise result is no smaller), and saves writing it. Its stage came
// from a non-image operand, a reduction's result. A streamed instance
// norm's `x - mean` is recomputed by its last pass rather than kept.
void PartitionPass::deferToReaders(func::FuncOp func) {
  Builder builder(&getContext());
  SmallVector<Operation *> ops;
  for (Operation &op : func.getBody().front())
    if (hasRole(&op, "tile"))
      ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops)) {
    SpatialOpInterface rule = getWindowRule(op);
    if (!rule || rule.getAxisRule(0).kind != AxisRule::Kind::Identity ||
        rule.getAxisRule(1).kind != AxisRule::Kind::Identity ||
        op->getNumResults() != 1 || op->use_empty())
      continue;
    int64_t stage = stageOf(op);
    int read = 0;
    bool storedOperands = llvm::all_of(op->getOperands(), [&](Value v) {
      Operation *from = v.getDefiningOp();
      if (!images.contains(v))
        return true;
      ++read;
      return from && hasRole(from, "tile") && stageOf(from) < stage;
    });
    int64_t first = INT64_MAX;
    for (Operation *user : op->getUsers())
      first = hasRole(user, "tile") ? std::min(first, stageOf(user)) : -1;
    if (storedOperands && read == 1 && first > stage && first != INT64_MAX)
      op->setAttr("sstep.stage", builder.getI64IntegerAttr(first));
  }
}

} // namespace
