//===- BackwardRun.h - One backward run over a staged trunk ------*- C++
//-*-===//
//
// Private to runtime/train. A trunk of one stage runs its tiles forward and
// back (Backward.h). A trunk with reductions inside (a squeeze-and-
// excitation's pool, a streamed GroupNorm's statistics) has several: the
// forward pass first runs every stage but the last's tiles, keeping what a
// later stage reads (ForwardStages.cpp); then the stages run backward, last
// first (Backward.cpp). Stage s's tiles (BackwardTile.cpp) seed, over each
// owned block, the gradient its later readers summed: the output's, an
// image a later stage read (summed whole, in `imageGrads`), and a mean's
// gradient spread over the pixels it averaged. Before them run the VJPs of
// the stage's reductions, after them those of its global nodes, on small
// values whose gradients the tiles summed (`smallSums`).
//
// Example, a squeeze-and-excitation block y = x * sigmoid(W mean(x)) on
// the input x: stage 0 reduces x, stage 1's global nodes make the scale s
// and its tiles the product. Backward, stage 1's tiles give dx = dy * s
// over their windows and sum ds = sum(dy * x); its global nodes turn ds
// into d mean; stage 0's reduction adds d mean / (H W) to every pixel of
// dx.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_TRAIN_BACKWARDRUN_H
#define SSTEP_RUNTIME_TRAIN_BACKWARDRUN_H

#include "runtime/train/Backward.h"
#include "runtime/train/BackwardSchedule.h"
#include "runtime/train/StoredImages.h"

#include <chrono>

namespace sstep::train::detail {

using Clock = std::chrono::steady_clock;

inline double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Adds `t`'s values into `acc` (grown to its size, from zeros).
void addInto(std::vector<double> &acc, const Tensor &t);
/// Adds `from` into `to`, of as many elements.
void addTo(Tensor &to, const Tensor &from);

class Run {
public:
  /// A plane's maximum and how many pixels hold it (countMaxima).
  struct TiedMax {
    float value = 0;
    int64_t count = 0;
    bool nan = false;
  };
  /// Where a plane's maximum is (ForwardStages.cpp's findMaxima).
  struct Argmax {
    float value = 0;
    int64_t y = -1, x = -1;
    bool nan = false;
  };

  /// Checks the input and the output gradient against the program.
  Run(const Program &program, exec::InputSource &input,
      exec::InputSource &outputGrad, const BackwardOptions &options);
  /// The forward stages, every stage's tiles backward, then the sums.
  Gradients run();

private:
  // ForwardStages.cpp
  void forwardStages();
  void forwardTiles(int s);
  void runGlobal(const Node &node);

  // Backward.cpp
  void backwardStage(int s);
  void reduceVjp(const Node &node);
  void globalVjp(const Node &node);
  /// A global max pool's gradient `perPlane` (N x C values), each at its
  /// plane's maximum: seeded by this stage's tiles, or added at once.
  void pointsOf(const Node &node, const std::vector<double> &perPlane);
  /// An amax's gradient `perPlane`, split evenly among each plane's tied
  /// maxima: seeded by this stage's tiles where their blocks hold the
  /// maximum, or added at once to the input's.
  void tiesOf(const Node &node, const std::vector<double> &perPlane);
  /// Adds a tile's share of the amax gradients of `r` (its block in
  /// `blocks`) into its gradient, over the block the tile owns.
  void addTies(int r, const plan::TileWindows &w);
  /// Adds `perPlane` (N x C values) to every pixel of image `v`'s gradient.
  void spreadOver(int v, const std::vector<double> &perPlane);
  /// Image `v`'s shape on this input.
  Shape imageShape(int v) const;
  void noteStored();
  Gradients finish();
  /// Adds `grad` into the sum of value `v`: a parameter's or a small value's.
  void addGradient(int v, const Tensor &grad);

  // BackwardTile.cpp
  /// The gradients seeded over stage `s`'s owned blocks of tile `w`; empty
  /// when all are zero (nothing of the loss flows through the tile).
  std::map<int, Tensor> seedsOf(int s, const plan::TileWindows &w);
  void runTile(int s, const plan::TileWindows &w, std::map<int, Tensor> seeds);
  void forwardStep(const Node &node, const plan::TileWindows &w);
  void vjpStep(const Node &node, const plan::TileWindows &w,
               std::map<int, Tensor> &seeds);
  /// The tile's gradients of images of earlier stages (the input's among
  /// them), added into their whole gradients.
  void addImageGradients(int s, const plan::TileWindows &w);
  const Tensor &blockOf(int v, const plan::TileWindows &w);
  /// A constant, a small value, or nothing for a size-only operand (its
  /// size is in the windows the kernels are given).
  const Tensor &wholeOf(int v) const;
  void note();

  const Program &program;
  exec::InputSource &input;
  const Shape inputShape;
  /// Read an owned block at a time: the caller's buffer is not copied.
  exec::InputSource &outputGrad;
  const BackwardOptions &options;
  GradKernels referenceKernels;
  GradKernels *kernels;
  plan::Stages stages;
  plan::Sizes sizes;
  int in, out;
  /// Per value: the stage of the tile node computing it, -1 for others.
  std::vector<int> tileStage;
  std::vector<BackwardSchedule> schedules;
  /// The current tile's forward blocks and gradients.
  std::map<int, Tensor> blocks, grads;
  /// What the forward stages keep: the small results of reductions and
  /// global nodes, and the images later stages read.
  std::map<int, Tensor> stored;
  StoredImages images;
  /// Gradients summed whole: of images later stages read (float, as the
  /// input's), of small values (double: they feed further VJPs), and of
  /// parameters (float, in the order of the tiles, so two runs give the same
  /// bits). A parameter's sum adds one term per tile to the tile's own float
  /// reduction over its pixels, which dwarfs it in length; in double the
  /// sums held twice the weights' bytes through the whole pass.
  StoredImages imageGrads;
  std::map<int, std::vector<double>> smallSums;
  std::map<int, Tensor> constantSums;
  /// Per reduction operand of the current stage: N x C values to add to
  /// each of its pixels' gradients.
  std::map<int, std::vector<double>> spread;
  /// Per global max pool node, by plane: where its maximum is, as PyTorch's
  /// adaptive_max_pool2d picks it (the first in row-major order; the last
  /// NaN, if any).
  std::map<int, std::vector<Argmax>> argmax;
  /// Per global max pool operand of the current stage: gradients to add at
  /// one pixel of a plane each.
  struct Point {
    int64_t plane, y, x;
    double grad;
  };
  std::map<int, std::vector<Point>> points;
  /// Per amax node: per plane, its maximum and how many pixels tie there.
  std::map<int, std::vector<TiedMax>> tiedMax;
  /// Per amax operand of the current stage: per plane, the maximum and the
  /// gradient each pixel holding it gets.
  struct Tie {
    int64_t plane;
    float value;
    double grad;
  };
  std::map<int, std::vector<Tie>> ties;
  /// In float: a pixel's gradient sums the tiles whose windows overlap
  /// there (a handful where tiles are larger than their halos, a weight's
  /// every tile: those sums are in double). Saves 12 bytes an element.
  Tensor inputSum;
  BackwardStats stats;
};

/// Updates `best`, per plane of `part`, with the maximum and how many
/// pixels hold it (NaN: the maximum is NaN, which no pixel equals).
void countMaxima(std::vector<Run::TiedMax> &best, const Tensor &part);

/// Updates `best`, per plane of `part` (which holds `owned`), with the
/// maximum PyTorch's adaptive_max_pool2d would pick.
void findMaxima(std::vector<Run::Argmax> &best, const Tensor &part,
                const Region &owned);

} // namespace sstep::train::detail

#endif // SSTEP_RUNTIME_TRAIN_BACKWARDRUN_H
