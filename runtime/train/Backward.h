//===- Backward.h - Exact gradients of a trunk, one tile at a time -*- C++
//-*-===//
//
// The backward twin of exec/Executor.h. The trunk's output is cut into the
// disjoint owned blocks of the forward tiling; each tile recomputes its
// forward pass over the windows the halo analysis gives (plan/Tiling.h),
// then back-propagates the output gradient restricted to its owned block
// through those same windows (reference/Vjp.h). The loss restricted to one
// block depends only on the tile's windows, so its gradients there are
// exact; the whole loss is the sum over blocks, so weight gradients are the
// sum of the tiles' and the input gradient the sum of the tiles' window
// gradients. No per-layer bookkeeping of overlaps is needed, and a tile
// holds one tile's activations and gradients whatever the image's size.
//
// Worked example: y = conv3x3(relu(conv3x3(x))), pad 1, 16 rows, tiles of 8
// output rows. Tile 0 owns y[0, 7]: it computes the middle value over
// [0, 8] and reads x[0, 9]; its gradient of sum(dy[0, 7] * y[0, 7]) reaches
// x[0, 9]. Tile 1 owns y[8, 15] and reaches x[6, 15]. dx over [6, 9] is the
// sum of both tiles' contributions.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_TRAIN_BACKWARD_H
#define SSTEP_RUNTIME_TRAIN_BACKWARD_H

#include "runtime/core/Program.h"
#include "runtime/exec/Executor.h"
#include "runtime/plan/Tiling.h"
#include "runtime/train/GradKernels.h"

#include <map>
#include <string>

namespace sstep::train {

struct BackwardOptions {
  /// The forward pass's tiles, in pixels of the input (whole(): one tile).
  plan::TileShape tiles;
  /// Whether to compute the input's gradient.
  bool inputGradient = true;
  /// The backend's gradient kernels; null: the reference's.
  GradKernels *kernels = nullptr;
  /// Checkpointing (BackwardSchedule.h): the tile nodes cut into this many
  /// segments, all but the last recomputed before their VJPs; 1: none.
  int segments = 1;
  /// Where a trunk of several stages keeps the images crossing them
  /// (StoredImages.h): empty, in memory; else in scratch files there.
  std::string scratchFolder;
};

struct BackwardStats {
  /// Tiles run, and tiles skipped because the output gradient is zero over
  /// their whole owned block (a global-max head reaches few tiles).
  int64_t tiles = 0;
  int64_t tilesSkipped = 0;
  /// The most bytes of forward blocks and gradient blocks one tile held.
  int64_t peakTileBytes = 0;
  /// The segments the tile nodes were cut into (1: no recomputation).
  int segments = 1;
  /// The tile stages (more than one where reductions sit inside the
  /// trunk), and the most bytes held whole between them at once: the
  /// images later stages read and the gradients summed for them.
  int stages = 1;
  int64_t storedPeakBytes = 0;
  /// With a scratch folder: the most bytes in its files at once, and the
  /// bytes written to and read from them.
  int64_t scratchPeakBytes = 0, scratchWritten = 0, scratchRead = 0;
  /// Seconds in the tiles' forward recomputation and in their VJPs, by op
  /// ("conv2d", "relu", ...), and in the rest (seeds, sums, bookkeeping).
  std::map<std::string, double> forwardSeconds, vjpSeconds;
  double otherSeconds = 0;
};

struct Gradients {
  /// The input's gradient; empty unless asked for.
  Tensor input;
  /// By value id: the gradient of every constant read by a differentiable
  /// operand (weights, biases, per-channel scales and shifts).
  std::map<int, Tensor> constants;
  BackwardStats stats;
};

/// Throws RuntimeError unless `program` is a trunk the backward pass can
/// differentiate: one image input, one image output, every node a tile op,
/// a mean or sum over the image, or a global node, with a gradient. The
/// error names the first node that is not, and why.
void checkDifferentiable(const Program &program);

/// The gradients of sum(outputGrad * trunk(input)). `outputGrad` has the
/// output's shape. Deterministic: two runs give the same bits. The input
/// is read a tile's window at a time and the output's gradient an owned
/// block at a time, so neither a caller's buffer nor a slide is copied
/// whole.
Gradients backward(const Program &program, exec::InputSource &input,
                   exec::InputSource &outputGrad,
                   const BackwardOptions &options);
Gradients backward(const Program &program, exec::InputSource &input,
                   const Tensor &outputGrad, const BackwardOptions &options);
Gradients backward(const Program &program, const Tensor &input,
                   const Tensor &outputGrad, const BackwardOptions &options);

} // namespace sstep::train

#endif // SSTEP_RUNTIME_TRAIN_BACKWARD_H
