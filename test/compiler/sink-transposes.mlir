// RUN: sstep-opt %s --split-input-file --sstep-sink-transposes | FileCheck %s

// A channels-first LayerNorm written channels-last: the transposes cancel
// and the [C] scale and bias become Cx1x1 (re-laid out for NCHW).
// CHECK-LABEL: func.func @layer_norm_channels_first
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{\[}}{{\[}}[1.000000e+00]], {{\[}}[2.000000e+00]]]> : tensor<2x1x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<{{\[}}{{\[}}[3.000000e+00]], {{\[}}[4.000000e+00]]]> : tensor<2x1x1xf32>
// CHECK-NOT: sstep.transpose
// CHECK: %[[N:.*]] = sstep.layer_norm %arg0, %[[S]], %[[B]] {axes = array<i64: 1>} : (tensor<1x2x?x?xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) -> tensor<1x2x?x?xf32>
// CHECK-NEXT: return %[[N]]
func.func @layer_norm_channels_first(%x: tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32> {
  %s = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = arith.constant dense<[3.0, 4.0]> : tensor<2xf32>
  %t = sstep.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x2x?x?xf32> -> tensor<1x?x?x2xf32>
  %n = sstep.layer_norm %t, %s, %b {axes = array<i64: 3>} : (tensor<1x?x?x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x?x?x2xf32>
  %y = sstep.transpose %n {perm = array<i64: 0, 3, 1, 2>} : tensor<1x?x?x2xf32> -> tensor<1x2x?x?xf32>
  return %y : tensor<1x2x?x?xf32>
}

// -----

// ConvNeXt's block: Linear (MatMul by a C x D matrix, then a bias), GELU
// (x * (erf(x / sqrt 2) + 1) * 0.5: a scalar, a product of two values under
// the same transpose), Linear back, a per-channel scale. The matrices become
// 1x1 convolutions with W^T as weight; nothing is left transposed.
// CHECK-LABEL: func.func @convnext_mlp
// CHECK-DAG: %[[W1:.*]] = arith.constant dense<{{\[}}{{\[}}{{\[}}[1.000000e+00]], {{\[}}[3.000000e+00]]], {{\[}}{{\[}}[2.000000e+00]], {{\[}}[4.000000e+00]]], {{\[}}{{\[}}[5.000000e+00]], {{\[}}[6.000000e+00]]]]> : tensor<3x2x1x1xf32>
// CHECK-DAG: %[[B1:.*]] = arith.constant dense<{{.*}}> : tensor<3x1x1xf32>
// CHECK-DAG: %[[W2:.*]] = arith.constant dense<{{.*}}> : tensor<2x3x1x1xf32>
// CHECK-DAG: %[[G:.*]] = arith.constant dense<{{.*}}> : tensor<2x1x1xf32>
// CHECK-NOT: sstep.transpose
// CHECK-NOT: sstep.matmul
// CHECK: %[[C1:.*]] = sstep.conv2d %arg0, %[[W1]] : (tensor<1x2x?x?xf32>, tensor<3x2x1x1xf32>) -> tensor<1x3x?x?xf32>
// CHECK: %[[A1:.*]] = sstep.add %[[C1]], %[[B1]] : (tensor<1x3x?x?xf32>, tensor<3x1x1xf32>) -> tensor<1x3x?x?xf32>
// CHECK: sstep.erf %{{.*}} : tensor<1x3x?x?xf32>
// CHECK: %[[C2:.*]] = sstep.conv2d %{{.*}}, %[[W2]] : (tensor<1x3x?x?xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x?x?xf32>
// CHECK: %[[M:.*]] = sstep.mul %[[C2]], %[[G]] : (tensor<1x2x?x?xf32>, tensor<2x1x1xf32>) -> tensor<1x2x?x?xf32>
// CHECK: %[[R:.*]] = sstep.add %arg0, %[[M]] : (tensor<1x2x?x?xf32>, tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
// CHECK-NEXT: return %[[R]]
func.func @convnext_mlp(%x: tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32> {
  %w1 = arith.constant dense<[[1.0, 2.0, 5.0], [3.0, 4.0, 6.0]]> : tensor<2x3xf32>
  %b1 = arith.constant dense<[0.5, 0.25, 0.125]> : tensor<3xf32>
  %w2 = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]> : tensor<3x2xf32>
  %g = arith.constant dense<[0.1, 0.2]> : tensor<2xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %t = sstep.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x2x?x?xf32> -> tensor<1x?x?x2xf32>
  %m1 = sstep.matmul %t, %w1 : (tensor<1x?x?x2xf32>, tensor<2x3xf32>) -> tensor<1x?x?x3xf32>
  %a1 = sstep.add %m1, %b1 : (tensor<1x?x?x3xf32>, tensor<3xf32>) -> tensor<1x?x?x3xf32>
  %d = sstep.div %a1, %sqrt2 : (tensor<1x?x?x3xf32>, tensor<f32>) -> tensor<1x?x?x3xf32>
  %e = sstep.erf %d : tensor<1x?x?x3xf32>
  %e1 = sstep.add %e, %one : (tensor<1x?x?x3xf32>, tensor<f32>) -> tensor<1x?x?x3xf32>
  %p = sstep.mul %a1, %e1 : (tensor<1x?x?x3xf32>, tensor<1x?x?x3xf32>) -> tensor<1x?x?x3xf32>
  %h = sstep.mul %p, %half : (tensor<1x?x?x3xf32>, tensor<f32>) -> tensor<1x?x?x3xf32>
  %m2 = sstep.matmul %h, %w2 : (tensor<1x?x?x3xf32>, tensor<3x2xf32>) -> tensor<1x?x?x2xf32>
  %s = sstep.mul %m2, %g : (tensor<1x?x?x2xf32>, tensor<2xf32>) -> tensor<1x?x?x2xf32>
  %back = sstep.transpose %s {perm = array<i64: 0, 3, 1, 2>} : tensor<1x?x?x2xf32> -> tensor<1x2x?x?xf32>
  %r = sstep.add %x, %back : (tensor<1x2x?x?xf32>, tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
  return %r : tensor<1x2x?x?xf32>
}

// -----

// A softmax over the last axis of NHWC is one over channels of NCHW; a
// transpose left at the end (an NHWC output) stays, below the local ops.
// CHECK-LABEL: func.func @softmax_nhwc_output
// CHECK: %[[S:.*]] = sstep.softmax %arg0 {axes = array<i64: 1>} : tensor<1x4x?x?xf32>
// CHECK: %[[R:.*]] = sstep.relu %[[S]] : tensor<1x4x?x?xf32>
// CHECK: %[[T:.*]] = sstep.transpose %[[R]] {perm = array<i64: 0, 2, 3, 1>} : tensor<1x4x?x?xf32> -> tensor<1x?x?x4xf32>
// CHECK-NEXT: return %[[T]]
func.func @softmax_nhwc_output(%x: tensor<1x4x?x?xf32>) -> tensor<1x?x?x4xf32> {
  %t = sstep.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x4x?x?xf32> -> tensor<1x?x?x4xf32>
  %s = sstep.softmax %t {axes = array<i64: 3>} : tensor<1x?x?x4xf32>
  %r = sstep.relu %s : tensor<1x?x?x4xf32>
  return %r : tensor<1x?x?x4xf32>
}

// -----

// What cannot move stays: an add of a value that is not transposed the same
// way, a matmul by a matrix that is not a constant, a scale that is not a
// constant. Two transposes in a row compose into one.
// CHECK-LABEL: func.func @stays
// CHECK: %[[T:.*]] = sstep.transpose %arg0 {perm = array<i64: 0, 2, 3, 1>}
// CHECK: sstep.add %[[T]], %arg1
// CHECK: sstep.matmul %[[T]], %arg2
// CHECK: sstep.layer_norm %[[T]], %arg3 {axes = array<i64: 3>}
// CHECK: sstep.transpose %arg0 {perm = array<i64: 0, 3, 2, 1>} : tensor<1x2x3x4xf32> -> tensor<1x4x3x2xf32>
func.func @stays(%x: tensor<1x2x3x4xf32>, %y: tensor<1x3x4x2xf32>, %w: tensor<2x5xf32>, %s: tensor<2xf32>) -> (tensor<1x3x4x2xf32>, tensor<1x3x4x5xf32>, tensor<1x3x4x2xf32>, tensor<1x4x3x2xf32>) {
  %t = sstep.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x2x3x4xf32> -> tensor<1x3x4x2xf32>
  %a = sstep.add %t, %y : (tensor<1x3x4x2xf32>, tensor<1x3x4x2xf32>) -> tensor<1x3x4x2xf32>
  %m = sstep.matmul %t, %w : (tensor<1x3x4x2xf32>, tensor<2x5xf32>) -> tensor<1x3x4x5xf32>
  %n = sstep.layer_norm %t, %s {axes = array<i64: 3>} : (tensor<1x3x4x2xf32>, tensor<2xf32>) -> tensor<1x3x4x2xf32>
  %u = sstep.transpose %t {perm = array<i64: 0, 2, 1, 3>} : tensor<1x3x4x2xf32> -> tensor<1x4x3x2xf32>
  return %a, %m, %n, %u : tensor<1x3x4x2xf32>, tensor<1x3x4x5xf32>, tensor<1x3x4x2xf32>, tensor<1x4x3x2xf32>
}

// -----

// A layer norm whose bias is not a constant cannot move, and the pattern
// leaves no constant behind (it would otherwise never converge). A constant
// that varies over H and W keeps its rank when re-laid out.
// CHECK-LABEL: func.func @bias_not_constant
// CHECK-NOT: tensor<2x1x1xf32>
// CHECK: %[[T:.*]] = sstep.transpose %arg0
// CHECK: sstep.layer_norm %[[T]], %{{.*}}, %arg1 {axes = array<i64: 3>}
// CHECK: sstep.add %arg0, %{{.*}} : (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
func.func @bias_not_constant(%x: tensor<1x2x3x4xf32>, %b: tensor<2xf32>) -> (tensor<1x3x4x2xf32>, tensor<1x3x4x2xf32>) {
  %s = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %c = arith.constant dense<0.5> : tensor<1x3x4x2xf32>
  %t = sstep.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x2x3x4xf32> -> tensor<1x3x4x2xf32>
  %n = sstep.layer_norm %t, %s, %b {axes = array<i64: 3>} : (tensor<1x3x4x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x3x4x2xf32>
  %a = sstep.add %t, %c : (tensor<1x3x4x2xf32>, tensor<1x3x4x2xf32>) -> tensor<1x3x4x2xf32>
  return %n, %a : tensor<1x3x4x2xf32>, tensor<1x3x4x2xf32>
}
