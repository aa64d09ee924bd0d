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

/// A tile shape in pixels of the program's first input: tiles of `rows` x
/// `edge` (`rows` 0: square); `edge` 0: the whole image as one tile.
struct TileShape {
  int64_t edge = 0;
  int64_t rows = 0;

  bool whole() const { return edge <= 0; }
  /// Rows and columns, as StageTiling takes them.
  Size2 extent() const { return {rows > 0 ? rows : edge, edge}; }
  bool operator==(const TileShape &o) const {
    return edge == o.edge && extent() == o.extent();
  }
};

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
  /// Chained tiles (StageTiling::windowsBelow), else both empty. Per value:
  /// the rows of `compute` the tile computes or loads (the rows above them
  /// were computed by the tile above and kept), and the rows of `compute`
  /// to keep for the tile below.
  std::vector<Region> fresh;
  std::vector<Region> keep;
};

/// Sets `above.keep` to what `below`, chained to it, reuses: per value, the
/// rows of `below.compute` above `below.fresh`.
void keepFor(TileWindows &above, const TileWindows &below);

class StageTiling {
public:
  /// `tile` is the tile's rows and columns in pixels of the program's first
  /// input (0: the whole axis); it is scaled to the stage's largest sink
  /// (the anchor).
  StageTiling(const Program &program, const Stage &stage, const Sizes &sizes,
              Size2 tile);
  /// Square tiles of `tileEdge` (0: one tile).
  StageTiling(const Program &program, const Stage &stage, const Sizes &sizes,
              int64_t tileEdge)
      : StageTiling(program, stage, sizes, Size2{tileEdge, tileEdge}) {}
  StageTiling(const Program &program, const Stage &stage, const Sizes &sizes,
              TileShape shape)
      : StageTiling(program, stage, sizes, shape.extent()) {}

  /// Tiles along H and W.
  Size2 grid() const { return count; }
  int64_t tiles() const { return count[0] * count[1]; }
  /// The anchor sink and its tile size in its own pixels.
  int anchor() const { return anchorValue; }
  Size2 tileSize() const { return tile; }

  TileWindows windows(int64_t row, int64_t col) const;

  /// Tile (row, col)'s windows when it runs right after `above`, the tile
  /// above it in the same column, and reuses what `above` computed: each
  /// value's fresh rows are those below `above`'s window of it that its
  /// readers' fresh rows need, and its window only adds the rows above
  /// those that its readers read again. A stream of such tiles computes
  /// every row once and holds a few rows of each value, like line buffers.
  ///
  /// Example: y = conv3x3(x), z = conv3x3(y), 4 output rows per tile on a
  /// 16-row axis. Tile 0 (unchained) computes z[0, 3], y[0, 4], x[0, 5].
  /// Tile 1 computes z[4, 7] (fresh), which reads y[3, 8]: y[3, 4] is kept,
  /// y[5, 8] fresh, which reads x[4, 9]: x[4, 5] kept, x[6, 9] fresh.
  TileWindows windowsBelow(const TileWindows &above, int64_t row,
                           int64_t col) const;

  /// Tiles that run just before tile (row, col) when it starts a chain (the
  /// top of a column, or the first tile run after a skipped one), owning
  /// nothing: each computes what the next `rows` input rows of the tile's
  /// windows determine, keeping the rows the next reads again, so that the
  /// tile itself, run as windowsBelow(the last of them), computes only what
  /// is left. Without them the chain's first tile computes its whole halo
  /// at once: for ResNet-50 in 2048 x 32 strips, 3.4 times the blocks of
  /// the tiles below it. Chain them with keepFor like any tiles; the first
  /// has no `fresh` (nothing is kept for it). Empty when the tile's input
  /// window is no more than `rows` tall.
  ///
  /// Example: y = conv3x3(x), z = conv3x3(y), stride 1, 16 rows, tiles of 4
  /// rows, rows = 2. Tile 0 computes x[0, 5], y[0, 4], z[0, 3]. Priming 1:
  /// x[0, 1], y[0, 0] (row 1 of y reads x[2]). Priming 2: x[2, 3] fresh,
  /// y[1, 2] fresh reading x[0, 3] (x[0, 1] kept), z[0, 1] fresh. Tile 0
  /// then computes x[4, 5], y[3, 4] and z[2, 3] fresh.
  std::vector<TileWindows> primingWindows(int64_t row, int64_t col,
                                          int64_t rows) const;

  /// Tile (row, col)'s share of `value`: the anchor's tile block scaled to
  /// the value's size. A sink's share is the block the tile owns; what a
  /// tile computes beyond a value's share is its halo.
  Region share(int value, int64_t row, int64_t col) const;

private:
  /// windows() when `above` is null, else windowsBelow().
  TileWindows infer(int64_t row, int64_t col, const TileWindows *above) const;
  /// The interval of operand `operand` of `node` that its output interval
  /// `out` along `axis` reads, unclipped.
  Interval readAxis(const Node &node, size_t operand, unsigned axis,
                    Interval out) const;
  Interval readRows(const Node &node, size_t operand, Interval out) const {
    return readAxis(node, operand, 0, out);
  }
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
