//===- NodeContext.h - What an op converter sees of its node ----*- C++ -*-===//
//
// One ONNX node during import: its inputs as MLIR values or as constants, its
// attributes with ONNX's defaults, and where its outputs go. Every failure
// goes through fail(), which names the node, op type, domain and opset.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_FRONTENDS_ONNX_NODECONTEXT_H
#define SSTEP_FRONTENDS_ONNX_NODECONTEXT_H

#include "frontends/onnx/ModelLoader.h"
#include "frontends/onnx/ShapeExpr.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <vector>

namespace sstep::onnx_import {

/// Values and constants known by ONNX name while a graph is imported.
struct Scope {
  llvm::StringMap<mlir::Value> values;
  llvm::StringMap<mlir::DenseElementsAttr> constants;
  /// Integer tensors computed from image sizes (see ShapeExpr.h).
  llvm::StringMap<ShapeExpr> shapes;
  /// How often each name is consumed by a node or returned by the graph.
  llvm::StringMap<unsigned> uses;
  /// Outputs left pending (NodeContext::defer), with the message to report.
  llvm::StringMap<std::string> pending;
};

class NodeContext {
public:
  NodeContext(const onnx::NodeProto &node, int64_t opset, mlir::OpBuilder &b,
              Scope &scope, const std::string &source);

  const onnx::NodeProto &node() const { return node_; }
  int64_t opset() const { return opset_; }
  mlir::OpBuilder &builder() { return b_; }
  mlir::Location loc() const { return loc_; }

  /// Reports a problem with this node as an ImportError.
  [[noreturn]] void fail(const std::string &message) const;
  /// Leaves this node's outputs pending (DeferredImport): reported as
  /// fail(message) would be, unless a later node absorbs them.
  [[noreturn]] void defer(const std::string &message) const;
  /// Reports that this node needs the input's declared (static) size, as
  /// StaticShapeRequired.
  [[noreturn]] void failNeedsStaticSize(const std::string &message) const;

  // Inputs. ONNX marks an omitted optional input with an empty name.
  size_t numInputs() const { return node_.input_size(); }
  bool hasInput(size_t i) const;
  /// Input `i` as a value (a constant is materialised on first use); fails
  /// naming its type unless it is a float tensor.
  mlir::Value input(size_t i);
  /// Input `i` as a value of any element type, for converters that decide
  /// by its type (integer tensors are shape arithmetic).
  mlir::Value inputValue(size_t i);
  /// Input `i` when it is a constant (initializer or Constant node).
  std::optional<mlir::DenseElementsAttr> constantInput(size_t i) const;
  /// Input `i` as a shape expression: a folded shape computation or an
  /// integer constant of rank 0 or 1.
  std::optional<ShapeExpr> shapeInput(size_t i) const;
  /// Input `i`, which must be a constant.
  mlir::DenseElementsAttr requireConstant(size_t i, const char *what) const;
  /// Input `i`, which must be a constant of floats (integers, booleans
  /// included); its values are read as such only after this check.
  mlir::DenseElementsAttr requireFloats(size_t i, const char *what) const;
  mlir::DenseElementsAttr requireInts(size_t i, const char *what) const;

  // Attributes, with the defaults the ONNX spec gives.
  bool hasAttr(const std::string &name) const;
  int64_t intAttr(const std::string &name, int64_t dflt) const;
  float floatAttr(const std::string &name, float dflt) const;
  std::string stringAttr(const std::string &name,
                         const std::string &dflt) const;
  std::vector<int64_t> intsAttr(const std::string &name,
                                std::vector<int64_t> dflt) const;
  /// Fails on any attribute not in `known`: an attribute SSTEP ignores could
  /// change the result.
  void checkAttrs(std::initializer_list<const char *> known) const;

  // Outputs.
  size_t numOutputs() const { return node_.output_size(); }
  /// Whether output `i` exists and is consumed or returned.
  bool outputUsed(size_t i) const;
  /// How often input `i`'s value is consumed or returned in the whole graph.
  unsigned inputUses(size_t i) const;
  /// Forgets input `i`'s value: a converter that replaced its producer.
  void dropInputValue(size_t i);
  void setOutput(size_t i, mlir::Value value);
  void setConstantOutput(size_t i, mlir::DenseElementsAttr value);
  /// Binds a shape expression; a fully constant one becomes an i64 constant.
  void setShapeOutput(size_t i, const ShapeExpr &value);

private:
  const onnx::AttributeProto *attr(const std::string &name) const;

  const onnx::NodeProto &node_;
  int64_t opset_;
  mlir::OpBuilder &b_;
  Scope &scope_;
  mlir::Location loc_;
};

/// The MLIR element type of an ONNX tensor element type, or null.
mlir::Type elementTypeOf(mlir::MLIRContext &context, int32_t onnxType);

/// A constant for an ONNX tensor (raw or typed data); throws ImportError.
mlir::DenseElementsAttr tensorToAttr(mlir::MLIRContext &context,
                                     const onnx::TensorProto &tensor,
                                     const std::string &where);

} // namespace sstep::onnx_import

#endif // SSTEP_FRONTENDS_ONNX_NODECONTEXT_H
