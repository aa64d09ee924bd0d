//===- ReceptiveField.cpp - Annotate receptive fields of spatial ops ------===//
//
// Forward composition of the spatial op interface's window rules from the
// function's image arguments. See Passes.td for the worked example.
//
//===----------------------------------------------------------------------===//

#include "compiler/Passes.h"
#include "dialects/sstep/IR/SStepOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"

#include <array>
#include <optional>

namespace sstep {
#define GEN_PASS_DEF_RECEPTIVEFIELD
#include "compiler/Passes.h.inc"
} // namespace sstep

using namespace mlir;
using namespace sstep;

namespace {

/// Per spatial axis (H, W), the window on one image argument.
using Field = std::array<AffineWindow, 2>;
/// For one value, its field on each image argument it depends on.
using Fields = llvm::SmallMapVector<unsigned, Field, 2>;

/// The affine form of an op's rule on `operand` along `axis`, recovered from
/// the interface at two output positions and checked at a third. Window rules
/// are translation-invariant in the output position exactly when affine; a
/// resize's depends on the image size, which is not known here.
std::optional<AffineWindow> affineRule(SpatialOpInterface op, unsigned operand,
                                       unsigned axis) {
  if (op.getAxisRule(axis).kind == AxisRule::Kind::Resize)
    return std::nullopt;
  Interval at0 = op.getInputInterval(operand, axis, {0, 0});
  Interval at1 = op.getInputInterval(operand, axis, {1, 1});
  AffineWindow rule{at1.lo - at0.lo, -at0.lo, at0.hi};
  const Interval probe{5, 11};
  if (rule.stride < 1 ||
      op.getInputInterval(operand, axis, probe) != rule.apply(probe))
    return std::nullopt;
  return rule;
}

/// The union of two fields on the same argument; fails when the strides differ
/// (the paths see the argument at different scales).
std::optional<Field> unite(const Field &a, const Field &b) {
  Field result;
  for (unsigned axis = 0; axis < 2; ++axis) {
    if (a[axis].stride != b[axis].stride)
      return std::nullopt;
    result[axis] = {a[axis].stride, std::max(a[axis].before, b[axis].before),
                    std::max(a[axis].after, b[axis].after)};
  }
  return result;
}

Attribute toAttr(Builder &b, unsigned argument, const Field &f) {
  auto pair = [&](auto get) {
    return b.getDenseI64ArrayAttr({get(f[0]), get(f[1])});
  };
  NamedAttribute entries[] = {
      b.getNamedAttr("input", b.getI64IntegerAttr(argument)),
      b.getNamedAttr("stride", pair([](auto w) { return w.stride; })),
      b.getNamedAttr("before", pair([](auto w) { return w.before; })),
      b.getNamedAttr("after", pair([](auto w) { return w.after; })),
      b.getNamedAttr("size", pair([](auto w) { return w.size(); })),
  };
  return b.getDictionaryAttr(entries);
}

struct ReceptiveFieldPass
    : public sstep::impl::ReceptiveFieldBase<ReceptiveFieldPass> {
  void runOnOperation() override;

private:
  /// The fields of `op`'s results, or nothing when they cannot be stated.
  std::optional<Fields> fieldsOf(SpatialOpInterface op);

  llvm::DenseMap<Value, Fields> fields;
  /// Values that depend on an image argument through an op whose field could
  /// not be stated: whatever reads them has no field either, or a field from
  /// its other operands alone would understate it.
  llvm::DenseSet<Value> unknown;
};

std::optional<Fields> ReceptiveFieldPass::fieldsOf(SpatialOpInterface op) {
  Fields result;
  for (OpOperand *operand : op.getSpatialOperands()) {
    if (unknown.contains(operand->get()))
      return std::nullopt;
    auto it = fields.find(operand->get());
    if (it == fields.end())
      continue;
    Field rule;
    for (unsigned axis = 0; axis < 2; ++axis) {
      std::optional<AffineWindow> r =
          affineRule(op, operand->getOperandNumber(), axis);
      if (!r) {
        op->emitRemark("window rule is not affine in the output position; "
                       "receptive field not annotated");
        return std::nullopt;
      }
      rule[axis] = *r;
    }
    for (auto &[argument, toSource] : it->second) {
      Field composed = {compose(toSource[0], rule[0]),
                        compose(toSource[1], rule[1])};
      auto [slot, inserted] = result.insert({argument, composed});
      if (inserted)
        continue;
      std::optional<Field> united = unite(slot->second, composed);
      if (!united) {
        op->emitRemark() << "paths from argument " << argument
                         << " meet at different strides; receptive field "
                            "not annotated";
        return std::nullopt;
      }
      slot->second = *united;
    }
  }
  return result;
}

void ReceptiveFieldPass::runOnOperation() {
  func::FuncOp func = getOperation();
  fields.clear();
  unknown.clear();
  for (BlockArgument arg : func.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (type && type.getRank() == 4)
      fields[arg].insert({arg.getArgNumber(), Field{}});
  }

  Builder builder(&getContext());
  func.walk([&](Operation *raw) {
    // A non-local op (global pool, softmax over H) has no window rule: the
    // field ends there, as the tile group will.
    SpatialOpInterface op = getWindowRule(raw);
    if (!op)
      return;
    std::optional<Fields> result = fieldsOf(op);
    if (!result) {
      for (Value v : op->getResults())
        unknown.insert(v);
      return;
    }
    if (result->empty())
      return;
    SmallVector<Attribute> entries;
    for (auto &[argument, field] : *result)
      entries.push_back(toAttr(builder, argument, field));
    op->setAttr("sstep.receptive_field", builder.getArrayAttr(entries));
    for (Value v : op->getResults())
      fields[v] = *result;
  });
}

} // namespace
