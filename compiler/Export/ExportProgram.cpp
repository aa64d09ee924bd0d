//===- ExportProgram.cpp - sstep IR to the runtime's Program --------------===//

#include "compiler/Export/ExportProgram.h"
#include "dialects/sstep/IR/SStepDialect.h"
#include "dialects/sstep/IR/SpatialOpInterface.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <map>

using namespace mlir;

namespace sstep {
namespace {

std::optional<Attribute> convertAttribute(mlir::Attribute attr) {
  if (auto ints = dyn_cast<DenseI64ArrayAttr>(attr))
    return Attribute(std::vector<int64_t>(ints.asArrayRef()));
  if (auto b = dyn_cast<BoolAttr>(attr))
    return Attribute(int64_t(b.getValue()));
  if (isa<UnitAttr>(attr))
    return Attribute(int64_t(1));
  if (auto i = dyn_cast<IntegerAttr>(attr))
    return Attribute(i.getInt());
  if (auto f = dyn_cast<FloatAttr>(attr))
    return Attribute(f.getValueAsDouble());
  if (auto s = dyn_cast<StringAttr>(attr))
    return Attribute(s.str());
  if (auto floats = dyn_cast<DenseF64ArrayAttr>(attr))
    return Attribute(std::vector<double>(floats.asArrayRef()));
  return std::nullopt;
}

/// The runtime form of sstep-differentiate's `sstep.vjp`.
VjpRule vjpRuleOf(DictionaryAttr vjp) {
  VjpRule rule;
  auto bools = [&](StringRef key) {
    ArrayRef<bool> values = vjp.getAs<DenseBoolArrayAttr>(key).asArrayRef();
    return std::vector<bool>(values.begin(), values.end());
  };
  rule.grads = bools("grads");
  rule.reads = bools("reads");
  rule.readsResult = vjp.getAs<BoolAttr>("reads_result").getValue();
  return rule;
}

Shape shapeOf(Type type) {
  auto ranked = cast<RankedTensorType>(type);
  Shape shape(ranked.getShape());
  for (int64_t &d : shape)
    if (ShapedType::isDynamic(d))
      d = -1;
  return shape;
}

class Exporter {
public:
  LogicalResult exportFunc(func::FuncOp func);
  Program program;
  llvm::DenseMap<Value, int> ids;

private:
  LogicalResult addConstant(arith::ConstantOp op);
  LogicalResult addNode(Operation *op);
  int define(Value value, std::string name) {
    int id = program.addValue(std::move(name), shapeOf(value.getType()));
    ids[value] = id;
    return id;
  }
  std::string constantName(Location loc);
  /// How often each constant name was given out.
  std::map<std::string, int> constantNames;
};

/// Every constant gets a name of its own, so that a user can read and
/// replace each weight (Session::setWeights), including those a pass made
/// from an initializer (a reshaped LayerNorm scale, a transposed MatMul
/// operand): the importer's name, or "constant", made unique by "#k".
std::string Exporter::constantName(Location loc) {
  std::string name = nodeName(loc);
  if (name.empty())
    name = "constant";
  int seen = constantNames[name]++;
  return seen == 0 ? name : name + "#" + std::to_string(seen);
}

LogicalResult Exporter::addConstant(arith::ConstantOp op) {
  auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
  if (!dense || !dense.getElementType().isF32())
    return op.emitError("only f32 dense constants reach the runtime");
  int id = define(op.getResult(), constantName(op.getLoc()));
  auto values = dense.getValues<float>();
  program.constants.set(id, Tensor(program.values[id].shape,
                                   FloatBuffer(values.begin(), values.end())));
  return success();
}

LogicalResult Exporter::addNode(Operation *op) {
  Node node;
  node.op = op->getName().stripDialect().str();
  node.name = nodeName(op->getLoc());
  for (Value operand : op->getOperands())
    node.operands.push_back(ids.at(operand));
  if (auto props =
          dyn_cast_or_null<DictionaryAttr>(op->getPropertiesAsAttribute())) {
    for (NamedAttribute named : props) {
      std::optional<Attribute> value = convertAttribute(named.getValue());
      if (!value)
        return op->emitError("attribute '")
               << named.getName().str() << "' has no runtime form";
      node.attrs[named.getName().str()] = *value;
    }
  }
  if (SpatialOpInterface spatial = getWindowRule(op)) {
    Window window;
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      window.spatial.push_back(spatial.isSpatialOperand(i));
    window.axes = {spatial.getAxisRule(0), spatial.getAxisRule(1)};
    node.window = std::move(window);
  }
  if (auto nonLocal = dyn_cast<NonLocalOpInterface>(op))
    node.reduction = nonLocal.getTileReduction().str();
  if (auto role = op->getAttrOfType<StringAttr>("sstep.role"))
    node.role = parseRole(role.str());
  if (auto stage = op->getAttrOfType<IntegerAttr>("sstep.stage"))
    node.stage = static_cast<int>(stage.getInt());
  if (op->hasAttr("sstep.recomputed"))
    node.attrs["sstep.recomputed"] = int64_t(1);
  if (auto vjp = op->getAttrOfType<DictionaryAttr>("sstep.vjp"))
    node.vjp = vjpRuleOf(vjp);
  for (auto [i, result] : llvm::enumerate(op->getResults()))
    node.results.push_back(define(
        result, node.name + (op->getNumResults() > 1 ? ":" + std::to_string(i)
                                                     : std::string())));
  program.nodes.push_back(std::move(node));
  return success();
}

LogicalResult Exporter::exportFunc(func::FuncOp func) {
  program.differentiable = func->hasAttr("sstep.differentiable");
  if (auto why = func->getAttrOfType<StringAttr>("sstep.not_differentiable"))
    program.notDifferentiable = why.str();
  for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
    auto name = func.getArgAttrOfType<StringAttr>(i, "sstep.name");
    program.inputs.push_back(
        define(arg, name ? name.str() : "input" + std::to_string(i)));
  }
  for (Operation &op : func.getBody().front()) {
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      if (failed(addConstant(constant)))
        return failure();
    } else if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
        program.outputs.push_back(ids.at(value));
        auto name = func.getResultAttrOfType<StringAttr>(i, "sstep.name");
        program.outputNames.push_back(name ? name.str() : "");
      }
    } else if (isa<SStepDialect>(op.getDialect())) {
      if (failed(addNode(&op)))
        return failure();
    } else {
      return op.emitError("op has no runtime form");
    }
  }
  return success();
}

} // namespace

std::string nodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : llvm::reverse(fused.getLocations()))
      if (std::string name = nodeName(inner); !name.empty())
        return name;
  return "";
}

std::string describeNode(Operation *op) {
  Node node;
  node.op = op->getName().stripDialect().str();
  node.name = nodeName(op->getLoc());
  return node.describe();
}

FailureOr<Program> exportProgram(ModuleOp module,
                                 llvm::DenseMap<Value, int> *ids) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal())
    return module.emitError("no func.func @main to export");
  Exporter exporter;
  if (failed(exporter.exportFunc(main)))
    return failure();
  if (ids)
    *ids = std::move(exporter.ids);
  return std::move(exporter.program);
}

} // namespace sstep
