//===- NodeContext.cpp - What an op converter sees of its node ------------===//

#include "frontends/onnx/NodeContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"

#include <cstring>

using namespace mlir;

namespace sstep::onnx_import {

NodeContext::NodeContext(const onnx::NodeProto &node, int64_t opset,
                         OpBuilder &b, Scope &scope, const std::string &source)
    : node_(node), opset_(opset), b_(b), scope_(scope),
      loc_(NameLoc::get(
          b.getStringAttr(node.name().empty() ? node.op_type() : node.name()),
          FileLineColLoc::get(b.getContext(), source, 0, 0))) {}

namespace {
std::string describeNode(const onnx::NodeProto &node_, int64_t opset_) {
  std::string domain = node_.domain().empty() ? "ai.onnx" : node_.domain();
  std::string name = node_.name().empty()
                         ? "(unnamed, output '" +
                               (node_.output_size() ? node_.output(0) : "") +
                               "')"
                         : "'" + node_.name() + "'";
  return "node " + name + " (op " + node_.op_type() + ", domain " + domain +
         ", opset " + std::to_string(opset_) + ")";
}
} // namespace

void NodeContext::fail(const std::string &message) const {
  throw ImportError(describeNode(node_, opset_) + ": " + message);
}

void NodeContext::defer(const std::string &message) const {
  throw DeferredImport(describeNode(node_, opset_) + ": " + message);
}

void NodeContext::failNeedsStaticSize(const std::string &message) const {
  throw StaticShapeRequired(describeNode(node_, opset_) + ": " + message +
                            " (import with --static-shapes to run it at its "
                            "declared size only)");
}

bool NodeContext::hasInput(size_t i) const {
  return i < numInputs() && !node_.input(i).empty();
}

Value NodeContext::input(size_t i) {
  Value value = inputValue(i);
  // The kernels compute on floats; an integer tensor reaching a float op
  // (int32 pixels into a Pad) is named here, not left to fail verification.
  Type element = getElementTypeOrSelf(value.getType());
  if (!isa<FloatType>(element)) {
    std::string type;
    llvm::raw_string_ostream os(type);
    os << element;
    fail("input " + std::to_string(i) + " ('" + node_.input(i) +
         "') is a tensor of " + type +
         ": SSTEP's kernels take float tensors (f32, f16, bf16)");
  }
  return value;
}

Value NodeContext::inputValue(size_t i) {
  if (!hasInput(i))
    fail("missing input " + std::to_string(i));
  const std::string &name = node_.input(i);
  auto it = scope_.values.find(name);
  if (it != scope_.values.end())
    return it->second;
  auto constant = scope_.constants.find(name);
  if (scope_.shapes.count(name))
    fail("input '" + name +
         "' is computed from the image size; only shape arithmetic and the "
         "sizes of Resize may use it");
  if (constant == scope_.constants.end())
    fail("input '" + name + "' is not defined before this node");
  // Constants become values where they are first used as such, named after
  // the initializer ("layer1.0.conv1.weight"): the runtime replaces and
  // differentiates weights by that name.
  OpBuilder::InsertionGuard guard(b_);
  b_.setInsertionPointToStart(b_.getInsertionBlock());
  Value value = b_.create<arith::ConstantOp>(
      NameLoc::get(b_.getStringAttr(name), loc_), constant->second);
  scope_.values[name] = value;
  return value;
}

std::optional<DenseElementsAttr> NodeContext::constantInput(size_t i) const {
  if (!hasInput(i))
    return std::nullopt;
  auto it = scope_.constants.find(node_.input(i));
  if (it == scope_.constants.end())
    return std::nullopt;
  return it->second;
}

DenseElementsAttr NodeContext::requireConstant(size_t i,
                                               const char *what) const {
  std::optional<DenseElementsAttr> value = constantInput(i);
  if (!value)
    fail(std::string(what) + " (input " + std::to_string(i) +
         ") must be a constant or initializer");
  return *value;
}

DenseElementsAttr NodeContext::requireFloats(size_t i, const char *what) const {
  DenseElementsAttr value = requireConstant(i, what);
  if (!isa<FloatType>(value.getElementType()))
    fail(std::string(what) + " (input " + std::to_string(i) +
         ") must hold floats");
  return value;
}

DenseElementsAttr NodeContext::requireInts(size_t i, const char *what) const {
  DenseElementsAttr value = requireConstant(i, what);
  if (!isa<IntegerType>(value.getElementType()))
    fail(std::string(what) + " (input " + std::to_string(i) +
         ") must hold integers");
  return value;
}

const onnx::AttributeProto *NodeContext::attr(const std::string &name) const {
  for (const auto &a : node_.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

bool NodeContext::hasAttr(const std::string &name) const {
  return attr(name) != nullptr;
}

int64_t NodeContext::intAttr(const std::string &name, int64_t dflt) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::INT)
    fail("attribute '" + name + "' must be an integer");
  return a->i();
}

float NodeContext::floatAttr(const std::string &name, float dflt) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::FLOAT)
    fail("attribute '" + name + "' must be a float");
  return a->f();
}

std::string NodeContext::stringAttr(const std::string &name,
                                    const std::string &dflt) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::STRING)
    fail("attribute '" + name + "' must be a string");
  return a->s();
}

std::vector<int64_t> NodeContext::intsAttr(const std::string &name,
                                           std::vector<int64_t> dflt) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::INTS)
    fail("attribute '" + name + "' must be a list of integers");
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

void NodeContext::checkAttrs(std::initializer_list<const char *> known) const {
  for (const auto &a : node_.attribute()) {
    bool ok = false;
    for (const char *k : known)
      ok |= a.name() == k;
    if (!ok)
      fail("unsupported attribute '" + a.name() + "'");
  }
}

bool NodeContext::outputUsed(size_t i) const {
  return i < numOutputs() && !node_.output(i).empty() &&
         scope_.uses.lookup(node_.output(i)) > 0;
}

unsigned NodeContext::inputUses(size_t i) const {
  return hasInput(i) ? scope_.uses.lookup(node_.input(i)) : 0;
}

void NodeContext::dropInputValue(size_t i) {
  if (hasInput(i))
    scope_.values.erase(node_.input(i));
}

void NodeContext::setOutput(size_t i, Value value) {
  if (i < numOutputs() && !node_.output(i).empty())
    scope_.values[node_.output(i)] = value;
}

void NodeContext::setConstantOutput(size_t i, DenseElementsAttr value) {
  if (i < numOutputs() && !node_.output(i).empty())
    scope_.constants[node_.output(i)] = value;
}

std::optional<ShapeExpr> NodeContext::shapeInput(size_t i) const {
  if (!hasInput(i))
    return std::nullopt;
  auto it = scope_.shapes.find(node_.input(i));
  if (it != scope_.shapes.end())
    return it->second;
  std::optional<DenseElementsAttr> constant = constantInput(i);
  if (!constant || !isa<IntegerType>(constant->getElementType()) ||
      constant->getType().getRank() > 1)
    return std::nullopt;
  ShapeExpr e;
  e.scalar = constant->getType().getRank() == 0;
  for (const APInt &v : constant->getValues<APInt>())
    e.elems.push_back(SymInt::of(v.getSExtValue()));
  return e;
}

void NodeContext::setShapeOutput(size_t i, const ShapeExpr &value) {
  if (i >= numOutputs() || node_.output(i).empty())
    return;
  if (!value.isConstant()) {
    scope_.shapes[node_.output(i)] = value;
    return;
  }
  std::vector<int64_t> data;
  for (const SymInt &e : value.elems)
    data.push_back(e.constant);
  SmallVector<int64_t, 1> shape;
  if (!value.scalar)
    shape.push_back(int64_t(data.size()));
  auto type = RankedTensorType::get(shape, b_.getI64Type());
  setConstantOutput(i, DenseElementsAttr::get(type, ArrayRef<int64_t>(data)));
}

} // namespace sstep::onnx_import
