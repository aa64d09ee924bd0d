// RUN: sstep-opt %s --sstep-partition="image=11,11 tile=4" | FileCheck %s --check-prefix=INTERIOR
// RUN: sstep-opt %s --sstep-partition="image=11,11 tile=8" | FileCheck %s --check-prefix=EDGE
// RUN: not sstep-opt %s --sstep-partition="image=11" 2>&1 | FileCheck %s --check-prefix=BAD

// The plan at one image size, as the runtime computes it. An 11-pixel image
// in 4-pixel tiles: tile (1, 1) owns output [4, 7]. The nearest resize from
// the 6-pixel pool output back to 11 pixels reads pool [2, 4] for it (source
// rows 1.95 and 3.59 rounded); the pool's share of the tile is [2, 3], so its
// halo is 1 below. The conv result is read by the add at [4, 7] and by the
// pool at [4, 9]: the union [4, 9] is computed, a halo of 2 below its share.

// INTERIOR-LABEL: func.func @main
// INTERIOR-SAME: sstep.grids = [array<i64: 3, 3>]
// INTERIOR-SAME: sstep.memory = {stored_bytes = 484 : i64, tile_bytes = {{[0-9]+}} : i64, weight_bytes = 36 : i64}
// INTERIOR: sstep.conv2d {{.*}}sstep.border = array<i64: 0, 0, 0, 0>, sstep.halo = array<i64: 0, 0, 2, 2>, {{.*}}sstep.window = array<i64: 4, 4, 9, 9>
// INTERIOR: sstep.max_pool2d {{.*}}sstep.halo = array<i64: 0, 0, 1, 1>, {{.*}}sstep.window = array<i64: 2, 2, 4, 4>
// INTERIOR: sstep.resize2d {{.*}}sstep.halo = array<i64: 0, 0, 0, 0>, {{.*}}sstep.window = array<i64: 4, 4, 7, 7>
// INTERIOR: sstep.add {{.*}}sstep.halo = array<i64: 0, 0, 0, 0>, sstep.materialize, {{.*}}sstep.window = array<i64: 4, 4, 7, 7>

// In 8-pixel tiles tile (1, 1) is the last: output [8, 10]. The pool's
// ceil-mode window for its pixel 5 reads conv rows [10, 11]; row 11 is past
// the image, border that the pool's -inf rule supplies, not a tile edge.

// EDGE-LABEL: func.func @main
// EDGE-SAME: sstep.grids = [array<i64: 2, 2>]
// EDGE: sstep.conv2d {{.*}}sstep.border = array<i64: 0, 0, 1, 1>, sstep.halo = array<i64: 0, 0, 0, 0>, {{.*}}sstep.window = array<i64: 8, 8, 10, 10>
// EDGE: sstep.max_pool2d {{.*}}sstep.border = array<i64: 0, 0, 0, 0>, {{.*}}sstep.window = array<i64: 4, 4, 5, 5>

// BAD: error: sstep-partition: image takes H,W, both positive

func.func @main(%x: tensor<1x1x?x?xf32>) -> tensor<1x1x?x?xf32> {
  %w = arith.constant dense<1.0> : tensor<1x1x3x3xf32>
  %0 = sstep.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x?x?xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x?x?xf32>
  %1 = sstep.max_pool2d %0 {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, ceil_mode = true} : tensor<1x1x?x?xf32> -> tensor<1x1x?x?xf32>
  %2 = sstep.resize2d %1 like %0 {mode = "nearest"} : (tensor<1x1x?x?xf32>, tensor<1x1x?x?xf32>) -> tensor<1x1x?x?xf32>
  %3 = sstep.add %2, %0 : (tensor<1x1x?x?xf32>, tensor<1x1x?x?xf32>) -> tensor<1x1x?x?xf32>
  return %3 : tensor<1x1x?x?xf32>
}
