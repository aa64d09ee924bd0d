// RUN: sstep-opt %s --split-input-file --sstep-partition --sstep-recompute | FileCheck %s
// RUN: sstep-opt %s --split-input-file --sstep-partition --sstep-recompute=policy=always --cse | FileCheck %s --check-prefix=ALWAYS
// RUN: sstep-opt %s --split-input-file --sstep-partition --sstep-recompute=policy=never | FileCheck %s --check-prefix=NEVER
// RUN: not sstep-opt %s --split-input-file --sstep-partition --sstep-recompute=policy=sometimes 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: sstep-recompute: policy is auto, always or never, not 'sometimes'

// An inverted residual with squeeze-and-excitation: the expansion (1x1,
// 16 -> 96, then relu: 1,632 multiply-adds a pixel) is cheaper than storing
// its 96 channels (768 bytes written and read, at 16 multiply-adds a byte),
// and its input %x is there anyway (stored: the residual reads it too; a
// 3x3 convolution of 16 channels from the input, 2,560 multiply-adds a
// pixel with the input read again, costs more than its 128 bytes).
// Stage 1 computes it again and its product reads the clone; stage 0's
// relu is no longer stored.
// CHECK-LABEL: func.func @inverted_residual
// CHECK: %[[X:.*]] = sstep.conv2d %arg0, %arg5 {pads = array<i64: 1, 1, 1, 1>, sstep.materialize, sstep.role = "tile", sstep.stage = 0 : i64} :
// CHECK: %[[C:.*]] = sstep.conv2d %[[X]], %arg1 {sstep.role = "tile", sstep.stage = 0 : i64} :
// CHECK: %[[R:.*]] = sstep.relu %[[C]] {sstep.role = "tile", sstep.stage = 0 : i64} :
// CHECK: sstep.global_avg_pool2d %[[R]] {sstep.role = "reduce", sstep.stage = 0 : i64} :
// CHECK: %[[G:.*]] = sstep.sigmoid
// CHECK: %[[C2:.*]] = sstep.conv2d %[[X]], %arg1 {sstep.recomputed, sstep.role = "tile", sstep.stage = 1 : i64} :
// CHECK: %[[R2:.*]] = sstep.relu %[[C2]] {sstep.recomputed, sstep.role = "tile", sstep.stage = 1 : i64} :
// CHECK: sstep.mul %[[R2]], %[[G]] {sstep.role = "tile", sstep.stage = 1 : i64} :
// NEVER-LABEL: func.func @inverted_residual
// NEVER: %[[R:.*]] = sstep.relu %{{.*}} {sstep.materialize, sstep.role = "tile", sstep.stage = 0 : i64} :
// NEVER-NOT: sstep.recomputed
// NEVER: sstep.mul %[[R]], %{{.*}} {sstep.role = "tile", sstep.stage = 1 : i64} :
func.func @inverted_residual(%in: tensor<1x16x?x?xf32>, %w1: tensor<96x16x1x1xf32>, %s1: tensor<4x96x1x1xf32>, %s2: tensor<96x4x1x1xf32>, %w2: tensor<16x96x1x1xf32>, %w0: tensor<16x16x3x3xf32>) -> tensor<1x16x?x?xf32> {
  %x = sstep.conv2d %in, %w0 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x?x?xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x?x?xf32>
  %0 = sstep.conv2d %x, %w1 : (tensor<1x16x?x?xf32>, tensor<96x16x1x1xf32>) -> tensor<1x96x?x?xf32>
  %1 = sstep.relu %0 : tensor<1x96x?x?xf32>
  %2 = sstep.global_avg_pool2d %1 : tensor<1x96x?x?xf32> -> tensor<1x96x1x1xf32>
  %3 = sstep.conv2d %2, %s1 : (tensor<1x96x1x1xf32>, tensor<4x96x1x1xf32>) -> tensor<1x4x1x1xf32>
  %4 = sstep.relu %3 : tensor<1x4x1x1xf32>
  %5 = sstep.conv2d %4, %s2 : (tensor<1x4x1x1xf32>, tensor<96x4x1x1xf32>) -> tensor<1x96x1x1xf32>
  %6 = sstep.sigmoid %5 : tensor<1x96x1x1xf32>
  %7 = sstep.mul %1, %6 : (tensor<1x96x?x?xf32>, tensor<1x96x1x1xf32>) -> tensor<1x96x?x?xf32>
  %8 = sstep.conv2d %7, %w2 : (tensor<1x96x?x?xf32>, tensor<16x96x1x1xf32>) -> tensor<1x16x?x?xf32>
  %9 = sstep.add %8, %x : (tensor<1x16x?x?xf32>, tensor<1x16x?x?xf32>) -> tensor<1x16x?x?xf32>
  return %9 : tensor<1x16x?x?xf32>
}

// -----

// Two 3x3 convolutions of 64 channels (73,728 multiply-adds a pixel) cost
// more than storing 64 channels (512 bytes, worth 8,192): auto keeps the
// image stored. `always` computes %x again from the input in stage 1 (the
// residual's copy), then both convolutions from it (their chain goes back
// through %x, no longer stored; CSE merges the two copies of %x), and the
// originals still feed the pool in stage 0.
// CHECK-LABEL: func.func @costly
// CHECK: sstep.conv2d %{{.*}}, %arg2 {pads = array<i64: 1, 1, 1, 1>, sstep.materialize, sstep.role = "tile", sstep.stage = 0 : i64} :
// CHECK-NOT: sstep.recomputed
// CHECK: return
// ALWAYS-LABEL: func.func @costly
// ALWAYS: %[[A:.*]] = sstep.conv2d %{{.*}}, %arg1 {pads = array<i64: 1, 1, 1, 1>, sstep.role = "tile", sstep.stage = 0 : i64} :
// ALWAYS: %[[B:.*]] = sstep.conv2d %[[A]], %arg2 {pads = array<i64: 1, 1, 1, 1>, sstep.role = "tile", sstep.stage = 0 : i64} :
// ALWAYS: sstep.global_max_pool2d %[[B]]
// ALWAYS: %[[X2:.*]] = sstep.conv2d %arg0, %arg3 {pads = array<i64: 1, 1, 1, 1>, sstep.recomputed, sstep.role = "tile", sstep.stage = 1 : i64} :
// ALWAYS: %[[A2:.*]] = sstep.conv2d %[[X2]], %arg1 {pads = array<i64: 1, 1, 1, 1>, sstep.recomputed, sstep.role = "tile", sstep.stage = 1 : i64} :
// ALWAYS: %[[B2:.*]] = sstep.conv2d %[[A2]], %arg2 {pads = array<i64: 1, 1, 1, 1>, sstep.recomputed, sstep.role = "tile", sstep.stage = 1 : i64} :
// ALWAYS: %[[M:.*]] = sstep.mul %[[B2]], %{{.*}} {sstep.role = "tile", sstep.stage = 1 : i64} :
// ALWAYS-NEXT: sstep.add %[[M]], %[[X2]] {sstep.materialize, sstep.role = "tile", sstep.stage = 1 : i64} :
func.func @costly(%in: tensor<1x64x?x?xf32>, %w1: tensor<64x64x3x3xf32>, %w2: tensor<64x64x3x3xf32>, %w0: tensor<64x64x3x3xf32>) -> tensor<1x64x?x?xf32> {
  %x = sstep.conv2d %in, %w0 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x?x?xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x?x?xf32>
  %0 = sstep.conv2d %x, %w1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x?x?xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x?x?xf32>
  %1 = sstep.conv2d %0, %w2 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x?x?xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x?x?xf32>
  %2 = sstep.global_max_pool2d %1 : tensor<1x64x?x?xf32> -> tensor<1x64x1x1xf32>
  %3 = sstep.sigmoid %2 : tensor<1x64x1x1xf32>
  %4 = sstep.mul %1, %3 : (tensor<1x64x?x?xf32>, tensor<1x64x1x1xf32>) -> tensor<1x64x?x?xf32>
  %5 = sstep.add %4, %x : (tensor<1x64x?x?xf32>, tensor<1x64x?x?xf32>) -> tensor<1x64x?x?xf32>
  return %5 : tensor<1x64x?x?xf32>
}

// -----

// A chain back to the function's image argument (the input, perhaps a
// slide whose pixels are decoded again at every read) counts 256
// multiply-adds a pixel for reading it. A 1x1 convolution to 8 channels
// (24 more, 280 in all) costs less than storing 8 channels (64 bytes, worth
// 1,024): auto reads the input again. A 3x3 one from 16 channels (1,152
// more) does not; `always` does.
// CHECK-LABEL: func.func @from_input
// CHECK: sstep.conv2d %arg0, %arg1 {sstep.recomputed, sstep.role = "tile", sstep.stage = 1 : i64} :
// CHECK-LABEL: func.func @from_input_costly
// CHECK-NOT: sstep.recomputed
// CHECK: return
// ALWAYS-LABEL: func.func @from_input_costly
// ALWAYS: sstep.conv2d %arg0, %arg1 {pads = array<i64: 1, 1, 1, 1>, sstep.recomputed, sstep.role = "tile", sstep.stage = 1 : i64} :
func.func @from_input(%x: tensor<1x3x?x?xf32>, %w: tensor<8x3x1x1xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.conv2d %x, %w : (tensor<1x3x?x?xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.global_avg_pool2d %0 : tensor<1x8x?x?xf32> -> tensor<1x8x1x1xf32>
  %2 = sstep.mul %0, %1 : (tensor<1x8x?x?xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x?x?xf32>
  return %2 : tensor<1x8x?x?xf32>
}
func.func @from_input_costly(%x: tensor<1x16x?x?xf32>, %w: tensor<8x16x3x3xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x?x?xf32>, tensor<8x16x3x3xf32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.global_avg_pool2d %0 : tensor<1x8x?x?xf32> -> tensor<1x8x1x1xf32>
  %2 = sstep.mul %0, %1 : (tensor<1x8x?x?xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x?x?xf32>
  return %2 : tensor<1x8x?x?xf32>
}

// -----

// A whole op (instance normalisation) reads the image whole after stage 0,
// so it is stored whatever the later stage does: nothing is cloned.
// ALWAYS-LABEL: func.func @read_whole
// ALWAYS-NOT: sstep.recomputed
// ALWAYS: return
func.func @read_whole(%x: tensor<1x8x?x?xf32>, %w: tensor<8x8x1x1xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.conv2d %x, %w : (tensor<1x8x?x?xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.instance_norm %0, %g, %b : (tensor<1x8x?x?xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x?x?xf32>
  %2 = sstep.add %1, %0 : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  return %2 : tensor<1x8x?x?xf32>
}
