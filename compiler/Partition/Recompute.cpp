//===- Recompute.cpp - Recompute cheap stored images where they are read --===//
//
// An image a later stage reads is stored between the stages: written once
// (to memory or a scratch file) and read back by every later reader's tiles.
// When the ops that compute it from values kept anyway are cheap, the later
// stage computes it again instead. See Passes.td for the rule and the cost
// model, and an example.
//
//===----------------------------------------------------------------------===//

#include "compiler/Partition/Materialize.h"
#include "compiler/Passes.h"
#include "dialects/sstep/IR/SStepOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

#include <set>

namespace sstep {
#define GEN_PASS_DEF_RECOMPUTE
#include "compiler/Passes.h.inc"
} // namespace sstep

using namespace mlir;
using namespace sstep;

namespace {

int64_t stageOf(Operation *op) {
  auto stage = op->getAttrOfType<IntegerAttr>("sstep.stage");
  return stage ? stage.getInt() : -1;
}

StringRef roleOf(Operation *op) {
  auto role = op->getAttrOfType<StringAttr>("sstep.role");
  return role ? role.getValue() : StringRef();
}

int64_t channelsOf(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getRank() == 4 && !type.isDynamicDim(1)
             ? type.getDimSize(1)
             : 1;
}

/// Each image's pixels per input pixel, from the ops' window rules at a
/// nominal input size: the bytes and operations of a value per input pixel.
class PixelScale {
public:
  explicit PixelScale(func::FuncOp func) {
    for (BlockArgument arg : func.getArguments())
      if (isImageType(arg.getType()))
        size[arg] = {kNominal, kNominal};
    func.walk([&](Operation *op) { infer(op); });
  }
  double of(Value v) const {
    auto it = size.find(v);
    if (it == size.end())
      return 0;
    return double(it->second.first) * double(it->second.second) /
           (double(kNominal) * double(kNominal));
  }

private:
  static constexpr int64_t kNominal = 4096;

  void infer(Operation *op) {
    std::pair<int64_t, int64_t> in{-1, -1}, like{-1, -1};
    for (Value operand : op->getOperands())
      if (auto it = size.find(operand); it != size.end())
        (in.first < 0 ? in : like) = it->second;
    if (in.first < 0)
      return;
    std::pair<int64_t, int64_t> out = in;
    if (SpatialOpInterface rule = getWindowRule(op)) {
      if (like.first < 0)
        like = in;
      out = {rule.getAxisRule(0).outputSize(in.first, like.first),
             rule.getAxisRule(1).outputSize(in.second, like.second)};
    }
    for (Value result : op->getResults()) {
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (!type || type.getRank() != 4)
        continue;
      // A pool to 1 x 1 and other static sizes are what they say.
      std::pair<int64_t, int64_t> s = out;
      if (!type.isDynamicDim(2) && !type.isDynamicDim(3))
        s = {type.getDimSize(2), type.getDimSize(3)};
      size[result] = s;
    }
  }

  llvm::DenseMap<Value, std::pair<int64_t, int64_t>> size;
};

/// Multiply-adds of `op` per input pixel: a convolution's weight per output
/// pixel (per input pixel when transposed); other ops one per output
/// element, times their window's area.
double macsOf(Operation *op, const PixelScale &scale) {
  Value result = op->getResult(0);
  auto weights = [&]() -> double {
    auto type = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
    return type && type.hasStaticShape() ? double(type.getNumElements()) : 0;
  };
  if (isa<Conv2DOp>(op))
    return weights() * scale.of(result);
  if (isa<ConvTranspose2DOp>(op))
    return weights() * scale.of(op->getOperand(0));
  double area = 1;
  if (SpatialOpInterface rule = getWindowRule(op))
    for (unsigned axis = 0; axis < 2; ++axis) {
      AxisRule r = rule.getAxisRule(axis);
      if (r.kind == AxisRule::Kind::Window)
        area *= double(r.window.kernel);
    }
  return double(channelsOf(result)) * area * scale.of(result);
}

/// Whether a later stage than `v`'s producer reads `v`.
bool storedBetweenStages(Value v) {
  Operation *from = v.getDefiningOp();
  if (!from || roleOf(from) != "tile")
    return false;
  return llvm::any_of(v.getUsers(), [&](Operation *user) {
    return stageOf(user) != stageOf(from);
  });
}

struct RecomputePass : public sstep::impl::RecomputeBase<RecomputePass> {
  using RecomputeBase::RecomputeBase;
  void runOnOperation() override;

private:
  void recompute(func::FuncOp func);
  /// The ops of `v`'s stage, in program order, that computing `v` again
  /// takes, back to values kept anyway; empty when there are too many.
  SmallVector<Operation *> chainOf(Value v);
  /// Clones `chain` for the readers of `v` in stage `stage`, before the
  /// first of them, and points them at the clone.
  void cloneFor(Value v, ArrayRef<Operation *> chain, int64_t stage);
};

void RecomputePass::runOnOperation() {
  if (policy != "auto" && policy != "always" && policy != "never") {
    getOperation().emitError("sstep-recompute: policy is auto, always or "
                             "never, not '")
        << policy << "'";
    return signalPassFailure();
  }
  if (policy == "never")
    return;
  for (auto func : getOperation().getOps<func::FuncOp>())
    if (!func.isExternal())
      recompute(func);
}

SmallVector<Operation *> RecomputePass::chainOf(Value v) {
  constexpr size_t kMostOps = 24;
  Operation *root = v.getDefiningOp();
  const int64_t stage = stageOf(root);
  llvm::SetVector<Operation *> chain;
  SmallVector<Operation *> work{root};
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (!chain.insert(op))
      continue;
    if (chain.size() > kMostOps)
      return {};
    for (Value operand : op->getOperands()) {
      Operation *from = operand.getDefiningOp();
      // Inputs, constants, reductions' and earlier stages' results, and
      // images stored anyway are there when the later stage runs.
      if (!from || !isImageType(operand.getType()) || roleOf(from) != "tile" ||
          stageOf(from) != stage || storedBetweenStages(operand))
        continue;
      work.push_back(from);
    }
  }
  SmallVector<Operation *> ordered(chain.begin(), chain.end());
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return ordered;
}

void RecomputePass::cloneFor(Value v, ArrayRef<Operation *> chain,
                             int64_t stage) {
  Operation *first = nullptr;
  for (Operation *user : v.getUsers())
    if (stageOf(user) == stage && (!first || user->isBeforeInBlock(first)))
      first = user;
  OpBuilder builder(first);
  IRMapping mapping;
  for (Operation *op : chain) {
    Operation *last = builder.clone(*op, mapping);
    last->setAttr("sstep.stage", builder.getI64IntegerAttr(stage));
    last->removeAttr("sstep.materialize");
    last->setAttr("sstep.recomputed", builder.getUnitAttr());
  }
  Value copy = mapping.lookup(v);
  v.replaceUsesWithIf(
      copy, [&](OpOperand &use) { return stageOf(use.getOwner()) == stage; });
}

void RecomputePass::recompute(func::FuncOp func) {
  PixelScale scale(func);
  SmallVector<Value> candidates;
  func.walk([&](Operation *op) {
    if (roleOf(op) == "tile" && op->getNumResults() == 1 &&
        isImageType(op->getResult(0).getType()) &&
        storedBetweenStages(op->getResult(0)))
      candidates.push_back(op->getResult(0));
  });
  for (Value v : candidates) {
    const int64_t stage = stageOf(v.getDefiningOp());
    // Only tile windows may read it later: a whole op, a global op or the
    // function's result needs it stored.
    std::set<int64_t> readers;
    bool windowed = true;
    for (Operation *user : v.getUsers()) {
      if (stageOf(user) == stage && roleOf(user) != "whole")
        continue;
      windowed =
          windowed && (roleOf(user) == "tile" || roleOf(user) == "reduce");
      readers.insert(stageOf(user));
    }
    if (!windowed || readers.empty())
      continue;
    SmallVector<Operation *> chain = chainOf(v);
    if (chain.empty())
      continue;
    double macs = 0;
    for (Operation *op : chain) {
      macs += macsOf(op, scale);
      // The input may be a slide: reading it again decodes its pixels again,
      // which costs about what this many multiply-adds a pixel do.
      constexpr double kDecodeMacs = 256;
      for (Value operand : op->getOperands())
        if (isa<BlockArgument>(operand) && isImageType(operand.getType()))
          macs += kDecodeMacs * scale.of(operand);
    }
    macs *= double(readers.size());
    // Stored: written once and read once, four bytes an element.
    double bytes = 2.0 * 4.0 * double(channelsOf(v)) * scale.of(v);
    if (policy == "auto" && macs > macsPerByte * bytes)
      continue;
    for (int64_t reader : readers)
      cloneFor(v, chain, reader);
  }
  // The chains' originals that fed only the later stages go.
  for (Operation &op : llvm::make_early_inc_range(
           llvm::reverse(func.getBody().front().getOperations())))
    if (roleOf(&op) == "tile" && op.use_empty())
      op.erase();
  markMaterialized(func);
}

} // namespace
