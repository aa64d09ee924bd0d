// RUN: sstep-opt %s --split-input-file --sstep-partition | FileCheck %s

// Roles and stages without an image size: each op's attributes are matched
// whole, so an op without `sstep.materialize` here is checked not to have it
// (attributes print sorted: pads, sstep.materialize, sstep.role, ...).

// A chain of local ops is one tile group. Only the returned value leaves the
// stage, so only the last op materialises its result.
// CHECK-LABEL: func.func @conv_chain
// CHECK-SAME: attributes {sstep.stages = 1 : i64}
// CHECK: sstep.conv2d %arg0, %arg1 {pads = array<i64: 1, 1, 1, 1>, sstep.role = "tile", sstep.stage = 0 : i64} :
// CHECK: sstep.relu %{{.*}} {sstep.role = "tile", sstep.stage = 0 : i64} :
// CHECK: sstep.conv2d %{{.*}}, %arg2 {pads = array<i64: 1, 1, 1, 1>, sstep.role = "tile", sstep.stage = 0 : i64, strides = array<i64: 2, 2>} :
// CHECK: sstep.max_pool2d %{{.*}} {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, sstep.materialize, sstep.role = "tile", sstep.stage = 0 : i64, strides = array<i64: 2, 2>} :
func.func @conv_chain(%x: tensor<1x3x?x?xf32>, %w0: tensor<8x3x3x3xf32>, %w1: tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.conv2d %x, %w0 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.relu %0 : tensor<1x8x?x?xf32>
  %2 = sstep.conv2d %1, %w1 {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x8x?x?xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32>
  %3 = sstep.max_pool2d %2 {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x8x?x?xf32> -> tensor<1x8x?x?xf32>
  return %3 : tensor<1x8x?x?xf32>
}

// -----

// Squeeze-and-excitation: the pool reduces stage 0's tiles; the bottleneck
// reads only the pooled 1x1 vector (global) and waits for it (stage 1); the
// product reads the conv output in stage 1, so the conv materialises it.
// CHECK-LABEL: func.func @squeeze_excite
// CHECK-SAME: attributes {sstep.stages = 2 : i64}
// CHECK: %[[C:.*]] = sstep.conv2d %arg0, %arg1 {pads = array<i64: 1, 1, 1, 1>, sstep.materialize, sstep.role = "tile", sstep.stage = 0 : i64} :
// CHECK: %[[P:.*]] = sstep.global_avg_pool2d %[[C]] {sstep.role = "reduce", sstep.stage = 0 : i64} :
// CHECK: sstep.conv2d %[[P]], %arg2 {sstep.role = "global", sstep.stage = 1 : i64} :
// CHECK: sstep.relu %{{.*}} {sstep.role = "global", sstep.stage = 1 : i64} :
// CHECK: sstep.conv2d %{{.*}}, %arg3 {sstep.role = "global", sstep.stage = 1 : i64} :
// CHECK: %[[G:.*]] = sstep.sigmoid %{{.*}} {sstep.role = "global", sstep.stage = 1 : i64} :
// CHECK: sstep.mul %[[C]], %[[G]] {sstep.materialize, sstep.role = "tile", sstep.stage = 1 : i64} :
func.func @squeeze_excite(%x: tensor<1x8x?x?xf32>, %w: tensor<8x8x3x3xf32>, %w1: tensor<2x8x1x1xf32>, %w2: tensor<8x2x1x1xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x?x?xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.global_avg_pool2d %0 : tensor<1x8x?x?xf32> -> tensor<1x8x1x1xf32>
  %2 = sstep.conv2d %1, %w1 : (tensor<1x8x1x1xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x1x1xf32>
  %3 = sstep.relu %2 : tensor<1x2x1x1xf32>
  %4 = sstep.conv2d %3, %w2 : (tensor<1x2x1x1xf32>, tensor<8x2x1x1xf32>) -> tensor<1x8x1x1xf32>
  %5 = sstep.sigmoid %4 : tensor<1x8x1x1xf32>
  %6 = sstep.mul %0, %5 : (tensor<1x8x?x?xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x?x?xf32>
  return %6 : tensor<1x8x?x?xf32>
}

// -----

// Instance normalisation has no per-tile reduction: it runs whole on the
// materialised conv output after stage 0, and what follows it is stage 1.
// CHECK-LABEL: func.func @instance_norm
// CHECK-SAME: attributes {sstep.stages = 2 : i64}
// CHECK: %[[C:.*]] = sstep.conv2d %arg0, %arg1 {pads = array<i64: 1, 1, 1, 1>, sstep.materialize, sstep.role = "tile", sstep.stage = 0 : i64} :
// CHECK: %[[N:.*]] = sstep.instance_norm %[[C]], %arg3, %arg4 {sstep.role = "whole", sstep.stage = 0 : i64} :
// CHECK: sstep.relu %[[N]] {sstep.role = "tile", sstep.stage = 1 : i64} :
// CHECK: sstep.conv2d %{{.*}}, %arg2 {pads = array<i64: 1, 1, 1, 1>, sstep.materialize, sstep.role = "tile", sstep.stage = 1 : i64} :
func.func @instance_norm(%x: tensor<1x3x?x?xf32>, %w0: tensor<8x3x3x3xf32>, %w1: tensor<8x8x3x3xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.conv2d %x, %w0 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.instance_norm %0, %g, %b : (tensor<1x8x?x?xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x?x?xf32>
  %2 = sstep.relu %1 : tensor<1x8x?x?xf32>
  %3 = sstep.conv2d %2, %w1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x?x?xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32>
  return %3 : tensor<1x8x?x?xf32>
}

// -----

// A softmax over H is non-local by its axes (over channels it would be a
// tile op): whole, as instance normalisation.
// CHECK-LABEL: func.func @softmax_over_h
// CHECK-SAME: attributes {sstep.stages = 2 : i64}
// CHECK: %[[C:.*]] = sstep.conv2d %arg0, %arg1 {pads = array<i64: 1, 1, 1, 1>, sstep.materialize, sstep.role = "tile", sstep.stage = 0 : i64} :
// CHECK: %[[S:.*]] = sstep.softmax %[[C]] {axes = array<i64: 2>, sstep.role = "whole", sstep.stage = 0 : i64} :
// CHECK: sstep.softmax %[[S]] {axes = array<i64: 1>, sstep.role = "tile", sstep.stage = 1 : i64} :
// CHECK: sstep.conv2d %{{.*}}, %arg2 {pads = array<i64: 1, 1, 1, 1>, sstep.materialize, sstep.role = "tile", sstep.stage = 1 : i64} :
func.func @softmax_over_h(%x: tensor<1x3x?x?xf32>, %w0: tensor<8x3x3x3xf32>, %w1: tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.conv2d %x, %w0 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.softmax %0 {axes = array<i64: 2>} : tensor<1x8x?x?xf32>
  %2 = sstep.softmax %1 {axes = array<i64: 1>} : tensor<1x8x?x?xf32>
  %3 = sstep.conv2d %2, %w1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x?x?xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32>
  return %3 : tensor<1x8x?x?xf32>
}

// -----

// A classifier head: the pool reduces the one tile group, and flatten and
// gemm read no image (global, stage 1). Nothing is materialised: the relu's
// only reader is the reduction, which each tile feeds. `sstep.stages` counts
// tile groups, so it stays 1.
// CHECK-LABEL: func.func @head
// CHECK-SAME: attributes {sstep.stages = 1 : i64}
// CHECK: sstep.conv2d %arg0, %arg1 {pads = array<i64: 1, 1, 1, 1>, sstep.role = "tile", sstep.stage = 0 : i64, strides = array<i64: 2, 2>} :
// CHECK: %[[R:.*]] = sstep.relu %{{.*}} {sstep.role = "tile", sstep.stage = 0 : i64} :
// CHECK: %[[P:.*]] = sstep.global_avg_pool2d %[[R]] {sstep.role = "reduce", sstep.stage = 0 : i64} :
// CHECK: %[[F:.*]] = sstep.flatten %[[P]] {axis = 1 : i64, sstep.role = "global", sstep.stage = 1 : i64} :
// CHECK: sstep.gemm %[[F]], %arg2, %arg3 {sstep.role = "global", sstep.stage = 1 : i64, transB = true} :
func.func @head(%x: tensor<1x3x?x?xf32>, %w: tensor<16x3x3x3xf32>, %fw: tensor<10x16xf32>, %fb: tensor<10xf32>) -> tensor<1x10xf32> {
  %0 = sstep.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x3x?x?xf32>, tensor<16x3x3x3xf32>) -> tensor<1x16x?x?xf32>
  %1 = sstep.relu %0 : tensor<1x16x?x?xf32>
  %2 = sstep.global_avg_pool2d %1 : tensor<1x16x?x?xf32> -> tensor<1x16x1x1xf32>
  %3 = sstep.flatten %2 {axis = 1 : i64} : tensor<1x16x1x1xf32> -> tensor<1x16xf32>
  %4 = sstep.gemm %3, %fw, %fb {transB = true} : (tensor<1x16xf32>, tensor<10x16xf32>, tensor<10xf32>) -> tensor<1x10xf32>
  return %4 : tensor<1x10xf32>
}

// -----

// A U-Net level: the skip %0 is read by the pool (down path) and by the
// concat (beside the upsampled path). Both readers are tile ops of stage 0,
// so the skip stays inside the tile (its window is the union of both needs)
// and is not materialised; only the returned conv is.
// CHECK-LABEL: func.func @unet_skip
// CHECK-SAME: attributes {sstep.stages = 1 : i64}
// CHECK: %[[S:.*]] = sstep.conv2d %arg0, %arg1 {pads = array<i64: 1, 1, 1, 1>, sstep.role = "tile", sstep.stage = 0 : i64} :
// CHECK: sstep.max_pool2d %[[S]] {kernel = array<i64: 2, 2>, sstep.role = "tile", sstep.stage = 0 : i64, strides = array<i64: 2, 2>} :
// CHECK: sstep.conv2d %{{.*}}, %arg2 {pads = array<i64: 1, 1, 1, 1>, sstep.role = "tile", sstep.stage = 0 : i64} :
// CHECK: %[[U:.*]] = sstep.resize2d %{{.*}} like %[[S]] {sstep.role = "tile", sstep.stage = 0 : i64} :
// CHECK: %[[J:.*]] = sstep.concat %[[U]], %[[S]] {axis = 1 : i64, sstep.role = "tile", sstep.stage = 0 : i64} :
// CHECK: sstep.conv2d %[[J]], %arg3 {pads = array<i64: 1, 1, 1, 1>, sstep.materialize, sstep.role = "tile", sstep.stage = 0 : i64} :
func.func @unet_skip(%x: tensor<1x3x?x?xf32>, %w0: tensor<8x3x3x3xf32>, %w1: tensor<8x8x3x3xf32>, %w2: tensor<8x16x3x3xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.conv2d %x, %w0 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.max_pool2d %0 {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x8x?x?xf32> -> tensor<1x8x?x?xf32>
  %2 = sstep.conv2d %1, %w1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x?x?xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32>
  %3 = sstep.resize2d %2 like %0 : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %4 = sstep.concat %3, %0 {axis = 1 : i64} : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x16x?x?xf32>
  %5 = sstep.conv2d %4, %w2 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x?x?xf32>, tensor<8x16x3x3xf32>) -> tensor<1x8x?x?xf32>
  return %5 : tensor<1x8x?x?xf32>
}

// -----

// GRN's sum of squares over H and W (a reduce kept as 1 x 1) combines tiles'
// partial sums like a global pool; a minimum has no tile reduction, reads
// the squares whole, and so has them materialised.
// CHECK-LABEL: func.func @sum_over_space
// CHECK: sstep.mul %arg0, %arg0 {sstep.materialize, sstep.role = "tile", sstep.stage = 0 : i64}
// CHECK: sstep.reduce {{.*}}kind = "sum", sstep.role = "reduce", sstep.stage = 0 : i64}
// CHECK: sstep.reduce {{.*}}kind = "min", sstep.role = "whole", sstep.stage = 0 : i64}
func.func @sum_over_space(%x: tensor<1x4x?x?xf32>) -> (tensor<1x4x1x1xf32>, tensor<1x4x1x1xf32>) {
  %0 = sstep.mul %x, %x : (tensor<1x4x?x?xf32>, tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %1 = sstep.reduce %0 {axes = array<i64: 2, 3>, keepdims = true, kind = "sum"} : tensor<1x4x?x?xf32> -> tensor<1x4x1x1xf32>
  %2 = sstep.reduce %0 {axes = array<i64: 2, 3>, keepdims = true, kind = "min"} : tensor<1x4x?x?xf32> -> tensor<1x4x1x1xf32>
  return %1, %2 : tensor<1x4x1x1xf32>, tensor<1x4x1x1xf32>
}
