//===- Importer.cpp - ONNX graphs to the sstep dialect --------------------===//

#include "frontends/onnx/Importer.h"

#include "frontends/onnx/OpConverters.h"

#include "dialects/sstep/IR/SStepDialect.h"
#include "dialects/sstep/Transforms/SinkTransposes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace sstep::onnx_import {
namespace {

/// The opset version the model imports for the default domain.
int64_t defaultOpset(const onnx::ModelProto &model, const std::string &name) {
  for (const auto &opset : model.opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx")
      return opset.version();
  throw ImportError(name + ": the model imports no ai.onnx opset");
}

/// Graph inputs that feed a convolution's weight: 4-D, but not images.
llvm::StringSet<> weightInputs(const onnx::GraphProto &graph) {
  llvm::StringSet<> names;
  for (const auto &node : graph.node())
    if ((node.op_type() == "Conv" || node.op_type() == "ConvTranspose") &&
        node.input_size() > 1)
      names.insert(node.input(1));
  return names;
}

/// The type of a graph input; the spatial dims of an NCHW float image become
/// dynamic unless `staticShapes` or the input is a convolution's weight.
RankedTensorType inputType(MLIRContext &context,
                           const onnx::ValueInfoProto &info,
                           const ImportOptions &options, bool isWeight) {
  std::string where = options.sourceName + ": input '" + info.name() + "'";
  if (!info.type().has_tensor_type() || !info.type().tensor_type().has_shape())
    throw ImportError(where + " has no tensor type with a shape");
  const auto &tensor = info.type().tensor_type();
  Type element = elementTypeOf(context, tensor.elem_type());
  if (!element)
    throw ImportError(where + " has an unsupported element type");
  SmallVector<int64_t> shape;
  for (const auto &dim : tensor.shape().dim())
    shape.push_back(dim.has_dim_value() && dim.dim_value() > 0
                        ? dim.dim_value()
                        : ShapedType::kDynamic);
  if (!options.staticShapes && !isWeight && shape.size() == 4 &&
      isa<FloatType>(element))
    shape[2] = shape[3] = ShapedType::kDynamic;
  return RankedTensorType::get(shape, element);
}

class GraphImporter {
public:
  GraphImporter(MLIRContext &context, const onnx::ModelProto &model,
                const ImportOptions &options)
      : context(context), model(model), graph(model.graph()), options(options),
        builder(&context) {}

  OwningOpRef<ModuleOp> run();

private:
  void countUses();
  void addInitializers();
  func::FuncOp createFunction();
  void importNode(const onnx::NodeProto &node, int64_t opset);
  void importIf(NodeContext &ctx, int64_t opset);
  void verifyNodeOps(NodeContext &ctx);
  Value lookupOutput(const std::string &name);
  void eraseUnusedConstants(func::FuncOp func);

  MLIRContext &context;
  /// Which main-graph node produces each name, for recognizers that absorb
  /// pending values (Unpool.cpp).
  llvm::StringMap<const onnx::NodeProto *> producers;
  const onnx::ModelProto &model;
  const onnx::GraphProto &graph;
  const ImportOptions &options;
  OpBuilder builder;
  Scope scope;
};

void GraphImporter::countUses() {
  for (const auto &node : graph.node())
    for (const auto &name : node.input())
      if (!name.empty())
        ++scope.uses[name];
  for (const auto &output : graph.output())
    ++scope.uses[output.name()];
}

void GraphImporter::addInitializers() {
  for (const auto &tensor : graph.initializer())
    scope.constants[tensor.name()] = tensorToAttr(
        context, tensor,
        options.sourceName + ": initializer '" + tensor.name() + "'");
}

func::FuncOp GraphImporter::createFunction() {
  SmallVector<Type> argTypes;
  SmallVector<const onnx::ValueInfoProto *> args;
  llvm::StringSet<> weights = weightInputs(graph);
  for (const auto &input : graph.input()) {
    // Older exporters list initializers among the inputs too.
    if (scope.constants.count(input.name()))
      continue;
    argTypes.push_back(
        inputType(context, input, options, weights.contains(input.name())));
    args.push_back(&input);
  }
  if (args.empty())
    throw ImportError(options.sourceName + ": the graph has no inputs");
  auto loc = FileLineColLoc::get(&context, options.sourceName, 0, 0);
  auto func =
      func::FuncOp::create(loc, "main", builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, info] : llvm::enumerate(args)) {
    scope.values[info->name()] = entry->getArgument(i);
    func.setArgAttr(i, "sstep.name", builder.getStringAttr(info->name()));
  }
  builder.setInsertionPointToEnd(entry);
  return func;
}

void GraphImporter::importNode(const onnx::NodeProto &node, int64_t opset) {
  NodeContext ctx(node, opset, builder, scope, options.sourceName);
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    ctx.fail("unsupported op (custom domain)");
  if (node.op_type() == "If") {
    importIf(ctx, opset);
    return;
  }
  // A node reading a pending value is pending too, unless it absorbs the
  // chain that made it.
  for (const auto &name : node.input())
    if (auto it = scope.pending.find(name); it != scope.pending.end()) {
      if (absorbUnpool(ctx, scope, producers)) {
        verifyNodeOps(ctx);
        return;
      }
      std::string message = it->second;
      for (const auto &output : node.output())
        scope.pending[output] = message;
      return;
    }
  try {
    // A data-movement node on constants is evaluated, converter or not.
    if (!foldConstantNode(ctx)) {
      ConvertFn convert = converters().lookup(node.op_type());
      if (!convert)
        ctx.fail("unsupported op");
      convert(ctx);
    }
  } catch (const DeferredImport &deferred) {
    for (const auto &output : node.output())
      scope.pending[output] = deferred.what();
    return;
  }
  verifyNodeOps(ctx);
  for (size_t i = 0; i < ctx.numOutputs(); ++i) {
    const std::string &name = node.output(i);
    if (ctx.outputUsed(i) && !scope.values.count(name) &&
        !scope.constants.count(name) && !scope.shapes.count(name))
      ctx.fail("output '" + name + "' was not produced");
  }
}

/// Verifies the ops that give the node's outputs, and those that give their
/// operands, two levels up (a converter may erase and replace ops made for
/// earlier nodes, so the ops after a mark are no safe list): inputs that
/// contradict each other (a convolution's weight made for other channels than
/// its input has) are the model's fault, named at its node, not an internal
/// error found when the whole function is verified.
void GraphImporter::verifyNodeOps(NodeContext &ctx) {
  std::string why;
  ScopedDiagnosticHandler capture(&context, [&](Diagnostic &d) {
    why += (why.empty() ? "" : "; ") + d.str();
    return success();
  });
  llvm::SmallPtrSet<Operation *, 8> seen;
  SmallVector<std::pair<Operation *, int>> work;
  for (const auto &name : ctx.node().output())
    if (auto it = scope.values.find(name); it != scope.values.end())
      if (Operation *op = it->second.getDefiningOp())
        work.push_back({op, 0});
  while (!work.empty()) {
    auto [op, depth] = work.pop_back_val();
    if (!seen.insert(op).second)
      continue;
    if (failed(mlir::verify(op, /*verifyRecursively=*/false)))
      ctx.fail("its inputs do not fit together: " + why);
    if (depth < 2)
      for (Value operand : op->getOperands())
        if (Operation *producer = operand.getDefiningOp())
          work.push_back({producer, depth + 1});
  }
}

/// An If whose condition folds to a constant (an exporter's check of sizes
/// that are fixed): the branch taken is imported in place, its outputs bound
/// to the If's. A condition computed from the image would be a run-time
/// branch, which SSTEP's static programs do not have.
void GraphImporter::importIf(NodeContext &ctx, int64_t opset) {
  ctx.checkAttrs({"then_branch", "else_branch"});
  std::optional<DenseElementsAttr> cond = ctx.constantInput(0);
  if (!cond || cond->getNumElements() != 1)
    ctx.fail("the condition is not a constant for every image size: a "
             "branch taken at run time is not supported");
  if (!isa<IntegerType>(cond->getElementType()))
    ctx.fail("the condition must be a boolean");
  bool taken = !(*cond->getValues<APInt>().begin()).isZero();
  const char *which = taken ? "then_branch" : "else_branch";
  const onnx::GraphProto *branch = nullptr;
  for (const auto &a : ctx.node().attribute())
    if (a.name() == which)
      branch = &a.g();
  if (!branch)
    ctx.fail(std::string("the ") + which + " attribute is missing");
  if (branch->output_size() != int(ctx.numOutputs()))
    ctx.fail(std::string("the ") + which + " has " +
             std::to_string(branch->output_size()) + " outputs, the If " +
             std::to_string(ctx.numOutputs()));
  for (const auto &tensor : branch->initializer())
    scope.constants[tensor.name()] =
        tensorToAttr(context, tensor,
                     options.sourceName + ": initializer '" + tensor.name() +
                         "' of an If branch");
  for (const auto &node : branch->node())
    for (const auto &name : node.input())
      if (!name.empty())
        ++scope.uses[name];
  for (const auto &output : branch->output())
    ++scope.uses[output.name()];
  for (const auto &node : branch->node())
    importNode(node, opset);
  for (int i = 0; i < branch->output_size(); ++i) {
    const std::string &from = branch->output(i).name(),
                      &to = ctx.node().output(i);
    // Copies first: binding `to` may grow the map under the iterator.
    if (auto v = scope.values.find(from); v != scope.values.end()) {
      Value value = v->second;
      scope.values[to] = value;
    } else if (auto c = scope.constants.find(from);
               c != scope.constants.end()) {
      DenseElementsAttr constant = c->second;
      scope.constants[to] = constant;
    } else if (auto e = scope.shapes.find(from); e != scope.shapes.end()) {
      ShapeExpr shape = e->second;
      scope.shapes[to] = shape;
    } else
      ctx.fail("the branch's output '" + from + "' is not produced");
  }
}

Value GraphImporter::lookupOutput(const std::string &name) {
  if (auto p = scope.pending.find(name); p != scope.pending.end())
    throw ImportError(p->second);
  auto it = scope.values.find(name);
  if (it != scope.values.end())
    return it->second;
  auto constant = scope.constants.find(name);
  if (scope.shapes.count(name))
    throw ImportError(options.sourceName + ": graph output '" + name +
                      "' is a shape computed from the image size; SSTEP "
                      "outputs tensors");
  if (constant == scope.constants.end())
    throw ImportError(options.sourceName + ": graph output '" + name +
                      "' is not produced by any node");
  return builder.create<arith::ConstantOp>(builder.getUnknownLoc(),
                                           constant->second);
}

void GraphImporter::eraseUnusedConstants(func::FuncOp func) {
  SmallVector<arith::ConstantOp> dead;
  func.walk([&](arith::ConstantOp op) {
    if (op->use_empty())
      dead.push_back(op);
  });
  for (arith::ConstantOp op : dead)
    op.erase();
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  int64_t opset = defaultOpset(model, options.sourceName);
  countUses();
  addInitializers();
  for (const auto &node : graph.node())
    for (const auto &output : node.output())
      producers[output] = &node;
  OwningOpRef<ModuleOp> module =
      ModuleOp::create(FileLineColLoc::get(&context, options.sourceName, 0, 0));
  func::FuncOp func = createFunction();
  module->push_back(func);

  for (const auto &node : graph.node())
    importNode(node, opset);

  SmallVector<Value> results;
  for (const auto &output : graph.output())
    results.push_back(lookupOutput(output.name()));
  builder.create<func::ReturnOp>(func.getLoc(), results);
  func.setType(builder.getFunctionType(func.getArgumentTypes(),
                                       ValueRange(results).getTypes()));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "sstep.name", builder.getStringAttr(output.name()));
  eraseUnusedConstants(func);
  return module;
}

} // namespace

void loadImportDialects(MLIRContext &context) {
  context.loadDialect<SStepDialect, arith::ArithDialect, func::FuncDialect>();
}

OwningOpRef<ModuleOp> importModel(MLIRContext &context,
                                  const onnx::ModelProto &model,
                                  const ImportOptions &options) {
  loadImportDialects(context);
  OwningOpRef<ModuleOp> module = GraphImporter(context, model, options).run();
  // Channels-last blocks (Transpose -> LayerNorm/MatMul -> Transpose) come
  // out as channel ops on NCHW and channel shuffles as one op, as BatchNorm
  // comes out folded.
  if (failed(cleanUpImport(*module)))
    throw ImportError("rewriting the transposes of the imported graph did "
                      "not converge");
  return module;
}

} // namespace sstep::onnx_import
