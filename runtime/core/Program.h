//===- Program.h - The dataflow graph the runtime executes -------*- C++
//-*-===//
//
// A Program is the compiler's graph-level IR handed to the runtime without
// MLIR: values with their (partly dynamic) shapes, constants, and nodes in
// topological order. A node is an op name from the sstep dialect ("conv2d")
// plus the op's attributes, defaults included, so a backend never guesses a
// default. Plans serialise a Program; the reference backend interprets it.
//
// Example: `%1 = sstep.relu %0` becomes Node{op = "relu", operands = {0},
// results = {1}}.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CORE_PROGRAM_H
#define SSTEP_RUNTIME_CORE_PROGRAM_H

#include "dialects/sstep/IR/AxisRule.h"
#include "runtime/core/Constants.h"
#include "runtime/core/KernelModule.h"
#include "runtime/core/Tensor.h"

#include <array>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sstep {

using Attribute = std::variant<int64_t, double, std::string,
                               std::vector<int64_t>, std::vector<double>>;

/// How a spatially local node reads its image operands: which operands are
/// images, and the rule along H and W (the spatial op interface's answer).
struct Window {
  std::vector<bool> spatial;
  std::array<AxisRule, 2> axes;
};

/// What a node's vector-Jacobian product gives and reads, from the
/// compiler's sstep-differentiate pass; the runtime's VJP kernels compute it.
struct VjpRule {
  /// The operands that receive a gradient.
  std::vector<bool> grads;
  /// The operands whose forward values the product reads; the others reach
  /// it as shapes only.
  std::vector<bool> reads;
  bool readsResult = false;
};

/// The partitioner's placement of a node (see compiler/Partition).
enum class Role {
  /// Not partitioned: the whole program runs at once.
  None,
  /// Runs tile by tile in its stage's tile group.
  Tile,
  /// Reduces a stage's tiles into a small tensor (a global pool).
  Reduce,
  /// Runs once on whole, materialised operands (a non-local op).
  Whole,
  /// Runs once on tensors without spatial extent (a head after pooling).
  Global,
};

struct Node {
  std::string op;
  /// The name of the ONNX node it came from, for messages.
  std::string name;
  std::vector<int> operands;
  std::vector<int> results;
  std::map<std::string, Attribute> attrs;
  /// Set for spatially local ops.
  std::optional<Window> window;
  Role role = Role::None;
  /// The tile group (Tile), or the group whose tiles it reduces or after
  /// which it runs (Reduce, Whole, Global).
  int stage = 0;
  /// How a Reduce node combines per-tile partial results: "mean" or "max"
  /// (NonLocalOpInterface::getTileReduction).
  std::string reduction;
  /// Set in a trainable program (Program::differentiable).
  std::optional<VjpRule> vjp;

  /// Accessors throw RuntimeError naming the node when the attribute is
  /// missing or of another kind.
  int64_t getInt(const std::string &key) const;
  double getFloat(const std::string &key) const;
  const std::string &getString(const std::string &key) const;
  const std::vector<int64_t> &getInts(const std::string &key) const;
  const std::vector<double> &getFloats(const std::string &key) const;
  bool has(const std::string &key) const { return attrs.count(key) != 0; }

  /// "node 'conv1' (sstep.conv2d)" for error messages.
  std::string describe() const;
};

/// "tile", "reduce", ... as the partitioner prints them; parseRole returns
/// Role::None for an unknown spelling.
const char *stringifyRole(Role role);
Role parseRole(const std::string &spelling);

struct ValueInfo {
  std::string name;
  /// -1 marks a dynamic dimension (the image's height and width).
  Shape shape;
};

struct Program {
  std::vector<ValueInfo> values;
  std::vector<int> inputs;
  std::vector<int> outputs;
  /// The model's name of each output. Kept apart from the values' names: an
  /// output may be an input or a constant, or be returned twice.
  std::vector<std::string> outputNames;
  /// Value id -> its constant data (weights, biases).
  Constants constants;
  std::vector<Node> nodes;
  /// Whether the compiler found the program a trunk the tiled backward pass
  /// can train (then every node has its VjpRule), and if not, why not,
  /// naming the node.
  bool differentiable = false;
  std::string notDifferentiable;
  /// Code generated for a target (empty for the reference and cpu targets).
  KernelModule kernels;

  int addValue(std::string name, Shape shape);
  /// Output `i`'s name: its own, else its value's.
  const std::string &outputName(size_t i) const;
};

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_PROGRAM_H
