//===- Reducer.h - Per-tile partial results, combined exactly ---*- C++ -*-===//
//
// A reduce node (a global pool, the sums of a backward pass) sees its
// operand one owned block at a time. Its kind says how blocks combine: mean
// and sum add in fp64 (mean divides by the pixels seen at the end), max
// keeps the largest (NaN wins, as in the whole-image kernels). Per (batch,
// channel) plane, so the result is independent of the tiling up to fp64
// round-off, far below fp32's.
//
// Example: mean over two blocks of one channel, {1, 2} and {3}: 6 / 3 = 2.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_EXEC_REDUCER_H
#define SSTEP_RUNTIME_EXEC_REDUCER_H

#include "runtime/core/Program.h"

#include <string>
#include <vector>

namespace sstep::exec {

enum class ReduceKind { Mean, Max, Sum };

/// The kind of a reduce node (Node::reduction: "mean", "max" or "sum").
/// Throws RuntimeError naming the node for any other.
ReduceKind reduceKindOf(const Node &node);

class Reducer {
public:
  /// What the blocks added so far come to: a checkpoint saves it, so that a
  /// resumed run goes on with the same sums (exec/Checkpoint.h).
  struct State {
    ReduceKind kind = ReduceKind::Mean;
    Shape shape;
    std::vector<double> acc;
    int64_t pixels = 0;
  };

  explicit Reducer(ReduceKind kind = ReduceKind::Mean) : kind(kind) {}
  explicit Reducer(State state)
      : kind(state.kind), shape(std::move(state.shape)),
        acc(std::move(state.acc)), pixels(state.pixels) {}
  State state() const { return {kind, shape, acc, pixels}; }

  /// Adds an NCHW block.
  void add(const Tensor &block);
  /// The N x C x 1 x 1 result. Throws RuntimeError naming `node` when no
  /// block was added (every tile skipped).
  Tensor finish(const Node &node) const;

private:
  ReduceKind kind;
  Shape shape;
  std::vector<double> acc;
  int64_t pixels = 0;
};

} // namespace sstep::exec

#endif // SSTEP_RUNTIME_EXEC_REDUCER_H
