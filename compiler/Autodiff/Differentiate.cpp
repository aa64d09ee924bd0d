//===- Differentiate.cpp - Each tile op's vector-Jacobian product ---------===//
//
// Decides, once and in the compiler, whether a partitioned function is a
// trunk the tiled backward pass can train, and what each op's product gives
// and reads; see Passes.td for the rules and an example. The products
// themselves are the runtime's VJP kernels, keyed by op name like the
// forward kernels.
//
//===----------------------------------------------------------------------===//

#include "compiler/Export/ExportProgram.h"
#include "compiler/Passes.h"
#include "dialects/sstep/IR/SStepOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

#include <optional>

namespace sstep {
#define GEN_PASS_DEF_DIFFERENTIATE
#include "compiler/Passes.h.inc"
} // namespace sstep

using namespace mlir;
using namespace sstep;

namespace {

/// Why a function is not a trainable trunk, and at which op (null: the
/// function's signature).
struct Refusal {
  Operation *op = nullptr;
  std::string reason;
};

std::optional<Refusal> checkSignature(func::FuncOp func) {
  FunctionType type = func.getFunctionType();
  if (type.getNumInputs() != 1 || type.getNumResults() != 1)
    return Refusal{nullptr, "the backward pass takes a trunk of one input and "
                            "one output; this model has " +
                                std::to_string(type.getNumInputs()) + " and " +
                                std::to_string(type.getNumResults())};
  if (!isImageType(type.getResult(0)))
    return Refusal{nullptr, "the trunk's output is not an image: end the "
                            "trunk before its global pool and head, which "
                            "belong to PyTorch"};
  return std::nullopt;
}

StringRef roleOf(Operation *op) {
  auto role = op->getAttrOfType<StringAttr>("sstep.role");
  return role ? role.getValue() : StringRef();
}

/// The op's role from sstep-partition, checked against a trunk's: tile ops
/// of any stage, the reductions between stages that the backward pass
/// spreads back over the image (a mean or a sum over H and W), and the ops
/// on their small results (a squeeze-and-excitation's bottleneck, a
/// GroupNorm's statistics). A whole op needs its operands whole.
std::optional<Refusal> checkRole(Operation *op) {
  StringRef role = roleOf(op);
  if (role == "reduce") {
    StringRef kind = cast<NonLocalOpInterface>(op).getTileReduction();
    if (kind == "mean" || kind == "sum" || isa<GlobalMaxPool2DOp>(op))
      return std::nullopt;
    return Refusal{op, describeNode(op) + ": a " + kind.str() +
                           " over the whole image inside the trunk has no "
                           "gradient yet (a mean, a sum or a global max pool "
                           "has)"};
  }
  if (role == "global") {
    if (getWindowRule(op))
      return std::nullopt;
    return Refusal{op, describeNode(op) +
                           ": no gradient for it on values without extent "
                           "yet (end the trunk before it if it is a head)"};
  }
  if (role != "tile" || !getWindowRule(op))
    return Refusal{op, describeNode(op) +
                           " needs the whole image: the backward pass "
                           "streams local ops and reductions over the "
                           "image, not ops that read a whole image at once"};
  return std::nullopt;
}

/// Whether `v` is a small value computed from the image: a reduction's
/// result, or what a global op made of one.
bool isComputedSmall(Value v) {
  Operation *from = v.getDefiningOp();
  if (!from)
    return false;
  StringRef role = roleOf(from);
  return role == "reduce" || role == "global";
}

/// The op's sstep.vjp, or why it has none.
FailureOr<DictionaryAttr> vjpRule(Operation *op, Refusal &refusal) {
  auto rule = dyn_cast<DifferentiableOpInterface>(op);
  if (!rule) {
    refusal = {op, describeNode(op) + ": no gradient for " +
                       op->getName().getStringRef().str() + " yet"};
    return failure();
  }
  auto spatial = getWindowRule(op);
  SmallVector<bool> grads, reads;
  for (unsigned i = 0; i < op->getNumOperands(); ++i) {
    bool wanted = rule.isDifferentiableOperand(i);
    if (!spatial) { // a reduction: its one operand is the image
      grads.push_back(wanted);
      reads.push_back(rule.vjpReadsOperand(i));
      continue;
    }
    // A differentiable operand is an image computed from the input (the
    // partition made the op a tile op for reading one), a small value
    // computed from it, or a parameter.
    Value v = op->getOperand(i);
    if (wanted && !spatial.isSpatialOperand(i) &&
        !v.getDefiningOp<arith::ConstantOp>() && !isComputedSmall(v)) {
      refusal = {op, describeNode(op) + ": operand " + std::to_string(i) +
                         " is neither an image nor a constant"};
      return failure();
    }
    grads.push_back(wanted);
    reads.push_back(rule.vjpReadsOperand(i));
  }
  Builder b(op->getContext());
  return b.getDictionaryAttr(
      {b.getNamedAttr("grads", b.getDenseBoolArrayAttr(grads)),
       b.getNamedAttr("reads", b.getDenseBoolArrayAttr(reads)),
       b.getNamedAttr("reads_result", b.getBoolAttr(rule.vjpReadsResult()))});
}

/// The rules of every op of `func`, or the first refusal.
std::optional<Refusal>
differentiate(func::FuncOp func,
              SmallVectorImpl<std::pair<Operation *, DictionaryAttr>> &rules) {
  if (std::optional<Refusal> r = checkSignature(func))
    return r;
  for (Operation &op : func.getBody().front()) {
    if (isa<arith::ConstantOp, func::ReturnOp>(op))
      continue;
    if (std::optional<Refusal> r = checkRole(&op))
      return r;
    Refusal refusal;
    FailureOr<DictionaryAttr> rule = vjpRule(&op, refusal);
    if (failed(rule))
      return refusal;
    rules.emplace_back(&op, *rule);
  }
  return std::nullopt;
}

struct DifferentiatePass
    : public sstep::impl::DifferentiateBase<DifferentiatePass> {
  using DifferentiateBase::DifferentiateBase;

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<std::pair<Operation *, DictionaryAttr>> rules;
      std::optional<Refusal> refusal = differentiate(func, rules);
      if (!refusal) {
        for (auto [op, rule] : rules)
          op->setAttr("sstep.vjp", rule);
        func->setAttr("sstep.differentiable", UnitAttr::get(&getContext()));
        continue;
      }
      if (require) {
        Operation *at = refusal->op ? refusal->op : func.getOperation();
        at->emitError(refusal->reason);
        return signalPassFailure();
      }
      func->setAttr("sstep.not_differentiable",
                    StringAttr::get(&getContext(), refusal->reason));
    }
  }
};

} // namespace
