//===- ConvertStructural.cpp - Identity, Dropout, Constant ----------------===//
//
// Ops that only name values: they vanish in the import, and constants stay
// constants so that converters downstream (BatchNormalization folding, Clip
// bounds) can read them.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace sstep::onnx_import {
namespace {

/// Binds output 0 to input 0, keeping a constant a constant.
void forward(NodeContext &ctx) {
  if (std::optional<DenseElementsAttr> constant = ctx.constantInput(0))
    ctx.setConstantOutput(0, *constant);
  else
    ctx.setOutput(0, ctx.input(0));
}

void convertIdentity(NodeContext &ctx) {
  ctx.checkAttrs({});
  forward(ctx);
}

void convertDropout(NodeContext &ctx) {
  ctx.checkAttrs({"ratio", "is_test", "seed"});
  if (ctx.outputUsed(1))
    ctx.fail("the mask output is not supported (inference only)");
  if (ctx.hasInput(2)) {
    DenseElementsAttr training = ctx.requireInts(2, "training_mode");
    if (training.getNumElements() != 1 ||
        !(*training.getValues<APInt>().begin()).isZero())
      ctx.fail("training_mode must be a false constant (inference only)");
  }
  forward(ctx);
}

void convertConstant(NodeContext &ctx) {
  if (ctx.node().attribute_size() != 1)
    ctx.fail("expects exactly one value attribute");
  const onnx::AttributeProto &a = ctx.node().attribute(0);
  MLIRContext &context = *ctx.builder().getContext();
  OpBuilder &b = ctx.builder();
  DenseElementsAttr value;
  if (a.name() == "value") {
    value =
        tensorToAttr(context, a.t(), "node '" + ctx.node().name() + "' value");
  } else if (a.name() == "value_float") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                   ArrayRef<float>{a.f()});
  } else if (a.name() == "value_floats") {
    std::vector<float> v(a.floats().begin(), a.floats().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({int64_t(v.size())}, b.getF32Type()),
        ArrayRef<float>(v));
  } else if (a.name() == "value_int") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                   ArrayRef<int64_t>{a.i()});
  } else if (a.name() == "value_ints") {
    std::vector<int64_t> v(a.ints().begin(), a.ints().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({int64_t(v.size())}, b.getI64Type()),
        ArrayRef<int64_t>(v));
  } else {
    ctx.fail("unsupported attribute '" + a.name() + "'");
  }
  ctx.setConstantOutput(0, value);
}

} // namespace

void addStructuralConverters(ConverterTable &table) {
  table["Identity"] = convertIdentity;
  table["Dropout"] = convertDropout;
  table["Constant"] = convertConstant;
}

} // namespace sstep::onnx_import
