// RUN: sstep-opt %s --split-input-file --sstep-receptive-field --verify-diagnostics | FileCheck %s

// A ResNet stem: 7x7/s2/p3, then 3x3/s1/p1. Output [a, b] of the second conv
// reads input [2a - 5, 2b + 5]: 11 pixels around each output pixel.
// CHECK-LABEL: func.func @resnet_stem
// CHECK: sstep.conv2d {{.*}}sstep.receptive_field = [{after = array<i64: 3, 3>, before = array<i64: 3, 3>, input = 0 : i64, size = array<i64: 7, 7>, stride = array<i64: 2, 2>}]
// CHECK: sstep.conv2d {{.*}}sstep.receptive_field = [{after = array<i64: 5, 5>, before = array<i64: 5, 5>, input = 0 : i64, size = array<i64: 11, 11>, stride = array<i64: 2, 2>}]
func.func @resnet_stem(%x: tensor<1x3x?x?xf32>, %w0: tensor<64x3x7x7xf32>, %w1: tensor<64x64x3x3xf32>) -> tensor<1x64x?x?xf32> {
  %0 = sstep.conv2d %x, %w0 {pads = array<i64: 3, 3, 3, 3>, strides = array<i64: 2, 2>} : (tensor<1x3x?x?xf32>, tensor<64x3x7x7xf32>) -> tensor<1x64x?x?xf32>
  %1 = sstep.conv2d %0, %w1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x?x?xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x?x?xf32>
  return %1 : tensor<1x64x?x?xf32>
}

// -----

// Asymmetric pads and dilation, different per axis. H: k=3 d=2 pads (0, 4):
// [a, b] -> [a, b + 4]. W: k=5 s=3 pads (2, 0): [3a - 2, 3b + 2].
// CHECK-LABEL: func.func @asymmetric
// CHECK: sstep.receptive_field = [{after = array<i64: 4, 2>, before = array<i64: 0, 2>, input = 0 : i64, size = array<i64: 5, 5>, stride = array<i64: 1, 3>}]
func.func @asymmetric(%x: tensor<1x2x?x?xf32>, %w: tensor<4x2x3x5xf32>) -> tensor<1x4x?x?xf32> {
  %0 = sstep.conv2d %x, %w {dilations = array<i64: 2, 1>, pads = array<i64: 0, 2, 4, 0>, strides = array<i64: 1, 3>} : (tensor<1x2x?x?xf32>, tensor<4x2x3x5xf32>) -> tensor<1x4x?x?xf32>
  return %0 : tensor<1x4x?x?xf32>
}

// -----

// Two images: each conv is annotated against the argument it reads.
// CHECK-LABEL: func.func @two_inputs
// CHECK: sstep.conv2d %arg0{{.*}}input = 0 : i64
// CHECK: sstep.conv2d %arg1{{.*}}input = 1 : i64
func.func @two_inputs(%x: tensor<1x3x?x?xf32>, %y: tensor<1x3x?x?xf32>, %w: tensor<8x3x3x3xf32>) -> (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) {
  %0 = sstep.conv2d %x, %w : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.conv2d %y, %w : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  return %0, %1 : tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>
}

// -----

// A value computed by an op without window rules is not an image the pass can
// trace: the conv reading it stays unannotated.
// CHECK-LABEL: func.func @untraceable
// CHECK: sstep.conv2d
// CHECK-NOT: sstep.receptive_field
func.func @untraceable(%w: tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32> {
  %x = tensor.empty() : tensor<1x3x32x32xf32>
  %0 = sstep.conv2d %x, %w : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x30x30xf32>
  return %0 : tensor<1x8x30x30xf32>
}

// -----

// A residual block: the add unites the block input (window of the stem alone)
// with the two-conv branch; pointwise ops keep the window, pools widen it.
// CHECK-LABEL: func.func @residual
// CHECK: sstep.max_pool2d {{.*}}after = array<i64: 3, 3>, before = array<i64: 3, 3>, input = 0 : i64, size = array<i64: 7, 7>, stride = array<i64: 4, 4>
// CHECK: sstep.conv2d {{.*}}after = array<i64: 7, 7>, before = array<i64: 7, 7>, input = 0 : i64, size = array<i64: 15, 15>, stride = array<i64: 4, 4>
// CHECK: sstep.relu {{.*}}after = array<i64: 7, 7>, before = array<i64: 7, 7>
// CHECK: sstep.conv2d {{.*}}after = array<i64: 11, 11>, before = array<i64: 11, 11>
// CHECK: sstep.add {{.*}}after = array<i64: 11, 11>, before = array<i64: 11, 11>, input = 0 : i64, size = array<i64: 23, 23>, stride = array<i64: 4, 4>
func.func @residual(%x: tensor<1x3x?x?xf32>, %w0: tensor<8x3x3x3xf32>, %w1: tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32> {
  // 3x3/s2/p1 [2a - 1, 2b + 1], then max pool 3x3/s2/p1: [4a - 3, 4b + 3].
  %0 = sstep.conv2d %x, %w0 {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.max_pool2d %0 {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x8x?x?xf32> -> tensor<1x8x?x?xf32>
  %2 = sstep.conv2d %1, %w1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x?x?xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32>
  %3 = sstep.relu %2 : tensor<1x8x?x?xf32>
  %4 = sstep.conv2d %3, %w1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x?x?xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32>
  %5 = sstep.add %4, %1 : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  return %5 : tensor<1x8x?x?xf32>
}

// -----

// Concatenation over channels is pointwise in space: it unites its inputs'
// windows (a 3x3 and a 5x5 branch give the 5x5), as softmax over channels
// keeps them.
// CHECK-LABEL: func.func @inception
// CHECK: sstep.concat {{.*}}after = array<i64: 2, 2>, before = array<i64: 2, 2>, input = 0 : i64, size = array<i64: 5, 5>, stride = array<i64: 1, 1>
// CHECK: sstep.softmax {{.*}}size = array<i64: 5, 5>
func.func @inception(%x: tensor<1x3x?x?xf32>, %w3: tensor<4x3x3x3xf32>, %w5: tensor<4x3x5x5xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.conv2d %x, %w3 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x?x?xf32>
  %1 = sstep.conv2d %x, %w5 {pads = array<i64: 2, 2, 2, 2>} : (tensor<1x3x?x?xf32>, tensor<4x3x5x5xf32>) -> tensor<1x4x?x?xf32>
  %2 = sstep.concat %0, %1 {axis = 1 : i64} : (tensor<1x4x?x?xf32>, tensor<1x4x?x?xf32>) -> tensor<1x8x?x?xf32>
  %3 = sstep.softmax %2 {axes = array<i64: 1>} : tensor<1x8x?x?xf32>
  return %3 : tensor<1x8x?x?xf32>
}

// -----

// Non-local ops have no window rule: a global pool, a softmax over H and a
// concat along W end the field, and a conv reading their result is not
// annotated. The squeeze-and-excitation product keeps the image's field: the
// pooled 1x1 operand is not spatial.
// CHECK-LABEL: func.func @non_local
// CHECK: %[[C:.*]] = sstep.conv2d {{.*}}size = array<i64: 3, 3>
// CHECK: %[[P:.*]] = sstep.global_avg_pool2d %[[C]] :
// CHECK: sstep.mul %[[C]], %[[P]] {sstep.receptive_field = [{{.*}}size = array<i64: 3, 3>
// CHECK: %[[S:.*]] = sstep.softmax %[[C]] {axes = array<i64: 2>} :
// CHECK: sstep.conv2d %[[S]], %{{.*}} :
// CHECK: %[[J:.*]] = sstep.concat %[[C]], %[[C]] {axis = 3 : i64} :
// CHECK: sstep.conv2d %[[J]], %{{.*}} :
func.func @non_local(%x: tensor<1x3x?x?xf32>, %w: tensor<3x3x3x3xf32>) -> (tensor<1x3x?x?xf32>, tensor<1x3x?x?xf32>, tensor<1x3x?x?xf32>) {
  %0 = sstep.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x?x?xf32>
  %1 = sstep.global_avg_pool2d %0 : tensor<1x3x?x?xf32> -> tensor<1x3x1x1xf32>
  %2 = sstep.mul %0, %1 : (tensor<1x3x?x?xf32>, tensor<1x3x1x1xf32>) -> tensor<1x3x?x?xf32>
  %3 = sstep.softmax %0 {axes = array<i64: 2>} : tensor<1x3x?x?xf32>
  %4 = sstep.conv2d %3, %w : (tensor<1x3x?x?xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x?x?xf32>
  %5 = sstep.concat %0, %0 {axis = 3 : i64} : (tensor<1x3x?x?xf32>, tensor<1x3x?x?xf32>) -> tensor<1x3x?x?xf32>
  %6 = sstep.conv2d %5, %w : (tensor<1x3x?x?xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x?x?xf32>
  return %2, %4, %6 : tensor<1x3x?x?xf32>, tensor<1x3x?x?xf32>, tensor<1x3x?x?xf32>
}

// -----

// An op reading a resize's result has no field either, although its other
// operand's path is affine: the field from that path alone would understate
// what it sees.
// CHECK-LABEL: func.func @after_resize
// CHECK: sstep.conv2d {{.*}}sstep.receptive_field
// CHECK: sstep.resize2d
// CHECK-NOT: sstep.receptive_field
// CHECK: sstep.concat
// CHECK-NOT: sstep.receptive_field
// CHECK: return
func.func @after_resize(%x: tensor<1x1x?x?xf32>) -> tensor<1x2x?x?xf32> {
  %w = arith.constant dense<1.0> : tensor<1x1x3x3xf32>
  %0 = sstep.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x1x?x?xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x?x?xf32>
  // expected-remark @+1 {{window rule is not affine in the output position}}
  %1 = sstep.resize2d %0 like %x {mode = "nearest"} : (tensor<1x1x?x?xf32>, tensor<1x1x?x?xf32>) -> tensor<1x1x?x?xf32>
  %2 = sstep.concat %1, %x {axis = 1 : i64} : (tensor<1x1x?x?xf32>, tensor<1x1x?x?xf32>) -> tensor<1x2x?x?xf32>
  return %2 : tensor<1x2x?x?xf32>
}
