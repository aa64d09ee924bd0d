//===- Tiling.h - Tile grids and the windows each tile computes --*- C++
//-*-===//
//
// Tiles are defined on the output grid of a stage. Each sink (a value the
// stage materialises or reduces) is cut into disjoint blocks, one per tile;
// every value's window is then inferred backwards through the stage's nodes
// with their window rules, as the union over all consumers, and clipped to
// the image. What a rule asks for outside the image is border, which the
// consuming kernel supplies by its own rule; a tile edge inside the image is
// never padding.
//
// Worked example, two 3x3 stride-1 pad-1 convs on a 10-pixel axis, tiles of
// 4: tile 1 owns output [4, 7]; the second conv reads [3, 8] of the first
// conv's output, which reads [2, 9] of the input. Tile 0 owns [0, 3], needs
// [0, 4] of the middle value (-1 is border) and [0, 5] of the input.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PLAN_TILING_H
#define SSTEP_RUNTIME_PLAN_TILING_H

#include "runtime/core/Program.h"
#include "runtime/core/Region.h"
#include "runtime/plan/Stages.h"

#include <vector>

namespace sstep::plan {

/// Image sizes per value; {-1, -1} where a value is not an image or not
/// known yet.
using Sizes = std::vector<Size2>;

/// Fills in the sizes of the values `stage`'s tile nodes compute, from the
/// sizes of their operands and the nodes' window rules. Throws RuntimeError
/// naming a node whose operand size is unknown.
void inferTileSizes(const Program &program, const Stage &stage, Sizes &sizes);

/// Sizes of every value for an input of size `input`, before running: a
/// whole node's image result is taken to have its first image operand's size
/// (true of instance normalisation and softmax over space; the executor
/// measures the real size).
Sizes predictSizes(const Program &program, const Stages &stages, Size2 input);

/// What one tile computes.
struct TileWindows {
  /// Per value: the block computed (or cropped from a stored value) for this
  /// tile; empty where the tile does not need the value.
  std::vector<Region> compute;
  /// Per sink: the block of it this tile owns; the blocks of all tiles are
  /// disjoint and cover the image.
  std::vector<Region> owned;
  /// Per value: what the tile's consumers ask for before clipping to the
  /// image; the part outside is border, supplied by the consumers' rules.
  std::vector<Region> need;
};

/// The tile grid of one stage and the windows of its tiles.
class StageTiling {
public:
  /// `tileEdge` is the tile's edge in pixels of the program's first input
  /// (0: one tile); it is scaled to the stage's largest sink (the anchor).
  StageTiling(const Program &program, const Stage &stage, const Sizes &sizes,
              int64_t tileEdge);

  /// Tiles along H and W.
  Size2 grid() const { return count; }
  int64_t tiles() const { return count[0] * count[1]; }
  /// The anchor sink and its tile size in its own pixels.
  int anchor() const { return anchorValue; }
  Size2 tileSize() const { return tile; }

  TileWindows windows(int64_t row, int64_t col) const;

  /// Tile (row, col)'s share of `value`: the anchor's tile block scaled to
  /// the value's size. A sink's share is the block the tile owns; what a
  /// tile computes beyond a value's share is its halo.
  Region share(int value, int64_t row, int64_t col) const;

private:
  /// Block `index` of `value` along `axis`.
  Interval ownedInterval(int value, unsigned axis, int64_t index) const;

  const Program &program;
  const Stage &stage;
  const Sizes &sizes;
  int anchorValue = -1;
  Size2 tile{1, 1};
  Size2 count{0, 0};
};

} // namespace sstep::plan

#endif // SSTEP_RUNTIME_PLAN_TILING_H
