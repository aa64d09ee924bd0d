// RUN: sstep-opt %s --canonicalize --split-input-file | FileCheck %s

// A pad by zero on every side is the input.
// CHECK-LABEL: func.func @zero_pad
// CHECK-NOT: sstep.pad2d
// CHECK: %[[P:.*]] = sstep.avg_pool2d %arg0
// CHECK: return %[[P]]
func.func @zero_pad(%x: tensor<1x1x?x?xf32>) -> tensor<1x1x?x?xf32> {
  %0 = sstep.pad2d %x {pads = array<i64: 0, 0, 0, 0>} : tensor<1x1x?x?xf32> -> tensor<1x1x?x?xf32>
  %1 = sstep.avg_pool2d %0 {kernel = array<i64: 4, 4>, strides = array<i64: 4, 4>} : tensor<1x1x?x?xf32> -> tensor<1x1x?x?xf32>
  return %1 : tensor<1x1x?x?xf32>
}

// -----

// Any other pad stays, crops included.
// CHECK-LABEL: func.func @real_pads
// CHECK: sstep.pad2d %arg0 {pads = array<i64: 1, 0, 0, 0>}
// CHECK: sstep.pad2d %{{.*}} {pads = array<i64: 0, 0, -1, 0>}
func.func @real_pads(%x: tensor<1x1x?x?xf32>) -> tensor<1x1x?x?xf32> {
  %0 = sstep.pad2d %x {pads = array<i64: 1, 0, 0, 0>} : tensor<1x1x?x?xf32> -> tensor<1x1x?x?xf32>
  %1 = sstep.pad2d %0 {pads = array<i64: 0, 0, -1, 0>} : tensor<1x1x?x?xf32> -> tensor<1x1x?x?xf32>
  return %1 : tensor<1x1x?x?xf32>
}

// -----

// A constant operand of add and mul moves to the right, where the backends
// look for a bias or a scale to fuse; sub and div keep their order.
// CHECK-LABEL: func.func @constants_right
// CHECK: %[[A:[^ ]+]] = sstep.add %arg0, %[[B:[^ ]+]] :
// CHECK: %[[M:[^ ]+]] = sstep.mul %[[A]], %[[B]] :
// CHECK: sstep.sub %[[B]], %[[M]] :
func.func @constants_right(%x: tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32> {
  %b = arith.constant dense<[[[1.0]], [[2.0]], [[3.0]], [[4.0]]]> : tensor<4x1x1xf32>
  %0 = sstep.add %b, %x : (tensor<4x1x1xf32>, tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %1 = sstep.mul %b, %0 : (tensor<4x1x1xf32>, tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %2 = sstep.sub %b, %1 : (tensor<4x1x1xf32>, tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  return %2 : tensor<1x4x?x?xf32>
}

// -----

// GELU as PyTorch exports nn.GELU(): x * (erf(x / sqrt(2)) + 1) * 0.5.
// CHECK-LABEL: func.func @gelu_torch
// CHECK-NEXT: %[[G:.*]] = sstep.gelu %arg0 : tensor<1x8x?x?xf32>
// CHECK-NEXT: return %[[G]]
func.func @gelu_torch(%x: tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32> {
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<5.000000e-01> : tensor<f32>
  %0 = sstep.div %x, %sqrt2 : (tensor<1x8x?x?xf32>, tensor<f32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.erf %0 : tensor<1x8x?x?xf32>
  %2 = sstep.add %1, %one : (tensor<1x8x?x?xf32>, tensor<f32>) -> tensor<1x8x?x?xf32>
  %3 = sstep.mul %x, %2 : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %4 = sstep.mul %3, %half : (tensor<1x8x?x?xf32>, tensor<f32>) -> tensor<1x8x?x?xf32>
  return %4 : tensor<1x8x?x?xf32>
}

// -----

// The other common form, 0.5 * x * (1 + erf(x * (1 / sqrt(2)))), constants
// on the left.
// CHECK-LABEL: func.func @gelu_half_first
// CHECK-NEXT: %[[G:.*]] = sstep.gelu %arg0 : tensor<1x8x?x?xf32>
// CHECK-NEXT: return %[[G]]
func.func @gelu_half_first(%x: tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32> {
  %r = arith.constant dense<0.707106769> : tensor<1xf32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<5.000000e-01> : tensor<f32>
  %0 = sstep.mul %r, %x : (tensor<1xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.erf %0 : tensor<1x8x?x?xf32>
  %2 = sstep.add %one, %1 : (tensor<f32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %3 = sstep.mul %half, %x : (tensor<f32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %4 = sstep.mul %3, %2 : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  return %4 : tensor<1x8x?x?xf32>
}

// -----

// Not a GELU: the erf reads another value than the one multiplied, or the
// scale is not 1 / sqrt(2).
// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT: sstep.gelu
// CHECK: sstep.erf
// CHECK: sstep.erf
func.func @not_gelu(%x: tensor<1x8x?x?xf32>, %y: tensor<1x8x?x?xf32>) -> (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) {
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %two = arith.constant dense<2.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<5.000000e-01> : tensor<f32>
  %0 = sstep.div %y, %sqrt2 : (tensor<1x8x?x?xf32>, tensor<f32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.erf %0 : tensor<1x8x?x?xf32>
  %2 = sstep.add %1, %one : (tensor<1x8x?x?xf32>, tensor<f32>) -> tensor<1x8x?x?xf32>
  %3 = sstep.mul %x, %2 : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %4 = sstep.mul %3, %half : (tensor<1x8x?x?xf32>, tensor<f32>) -> tensor<1x8x?x?xf32>
  %5 = sstep.div %x, %two : (tensor<1x8x?x?xf32>, tensor<f32>) -> tensor<1x8x?x?xf32>
  %6 = sstep.erf %5 : tensor<1x8x?x?xf32>
  %7 = sstep.add %6, %one : (tensor<1x8x?x?xf32>, tensor<f32>) -> tensor<1x8x?x?xf32>
  %8 = sstep.mul %x, %7 : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %9 = sstep.mul %8, %half : (tensor<1x8x?x?xf32>, tensor<f32>) -> tensor<1x8x?x?xf32>
  return %4, %9 : tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>
}

// -----

// SiLU written out, x * sigmoid(x), in either order; a sigmoid gate of
// another value (squeeze-and-excitation) stays a mul.
// CHECK-LABEL: func.func @silu
// CHECK-NEXT: %[[A:.*]] = sstep.silu %arg0 : tensor<1x8x?x?xf32>
// CHECK-NEXT: %[[B:.*]] = sstep.silu %[[A]] : tensor<1x8x?x?xf32>
// CHECK-NEXT: %[[G:.*]] = sstep.sigmoid %arg1
// CHECK-NEXT: sstep.mul %[[B]], %[[G]]
func.func @silu(%x: tensor<1x8x?x?xf32>, %g: tensor<1x8x1x1xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.sigmoid %x : tensor<1x8x?x?xf32>
  %1 = sstep.mul %x, %0 : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %2 = sstep.sigmoid %1 : tensor<1x8x?x?xf32>
  %3 = sstep.mul %2, %1 : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %4 = sstep.sigmoid %g : tensor<1x8x1x1xf32>
  %5 = sstep.mul %3, %4 : (tensor<1x8x?x?xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x?x?xf32>
  return %5 : tensor<1x8x?x?xf32>
}

// -----

// Hard swish before opset 14: x * hard_sigmoid(x) with alpha 1/6, beta 1/2.
// Another alpha, or the gate of another value (MobileNetV3's SE), stays.
// CHECK-LABEL: func.func @hard_swish
// CHECK-NEXT: %[[A:.*]] = sstep.hard_swish %arg0 : tensor<1x8x?x?xf32>
// CHECK-NEXT: %[[S:.*]] = sstep.hard_sigmoid %[[A]] {alpha = 2.500000e-01 : f32}
// CHECK-NEXT: %[[B:.*]] = sstep.mul %[[A]], %[[S]]
// CHECK-NEXT: %[[G:.*]] = sstep.hard_sigmoid %arg1 {alpha = 0.166666672 : f32}
// CHECK-NEXT: sstep.mul %[[B]], %[[G]]
func.func @hard_swish(%x: tensor<1x8x?x?xf32>, %g: tensor<1x8x1x1xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.hard_sigmoid %x {alpha = 0.166666672 : f32} : tensor<1x8x?x?xf32>
  %1 = sstep.mul %0, %x : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %2 = sstep.hard_sigmoid %1 {alpha = 0.25 : f32} : tensor<1x8x?x?xf32>
  %3 = sstep.mul %1, %2 : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %4 = sstep.hard_sigmoid %g {alpha = 0.166666672 : f32} : tensor<1x8x1x1xf32>
  %5 = sstep.mul %3, %4 : (tensor<1x8x?x?xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x?x?xf32>
  return %5 : tensor<1x8x?x?xf32>
}
