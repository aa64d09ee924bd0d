// RUN: sstep-opt %s --split-input-file --sstep-stream-instance-norm | FileCheck %s
// RUN: sstep-opt %s --split-input-file --sstep-stream-instance-norm --sstep-partition | FileCheck %s --check-prefix=STAGES
// RUN: sstep-opt %s --split-input-file --sstep-stream-instance-norm --sstep-partition --sstep-differentiate | FileCheck %s --check-prefix=GRAD

// An instance norm: the mean, the mean squared deviation from it, then the
// normalised output, each a pass over tiles; scale and bias per channel.
// CHECK-LABEL: func.func @instance
// CHECK-NOT: sstep.instance_norm
// CHECK: %[[X:.*]] = sstep.relu %arg0
// CHECK: %[[M:.*]] = sstep.global_avg_pool2d %[[X]] : tensor<1x3x?x?xf32> -> tensor<1x3x1x1xf32>
// CHECK: %[[D:.*]] = sstep.sub %[[X]], %[[M]]
// CHECK: %[[Q:.*]] = sstep.mul %[[D]], %[[D]]
// CHECK: %[[V:.*]] = sstep.global_avg_pool2d %[[Q]]
// CHECK: %[[E:.*]] = sstep.add %[[V]], %{{.*}} : (tensor<1x3x1x1xf32>, tensor<f32>)
// CHECK: %[[R:.*]] = sstep.sqrt %[[E]]
// CHECK: %[[G:.*]] = sstep.div %{{.*}}, %[[R]] : (tensor<3x1x1xf32>, tensor<1x3x1x1xf32>) -> tensor<1x3x1x1xf32>
// CHECK: %[[C:.*]] = sstep.sub %[[X]], %[[M]]
// CHECK: %[[N:.*]] = sstep.mul %[[C]], %[[G]]
// CHECK: %[[Y:.*]] = sstep.add %[[N]], %{{.*}} : (tensor<1x3x?x?xf32>, tensor<3x1x1xf32>)
// CHECK: return %[[Y]]
// The last pass recomputes x - mean where it is read, so only x is kept
// between the passes (an input read again is not deferred: see @groups).
// STAGES-LABEL: func.func @instance
// STAGES: sstep.relu %arg0 {sstep.materialize, sstep.role = "tile", sstep.stage = 0 : i64}
// STAGES: sstep.global_avg_pool2d {{.*}}sstep.role = "reduce", sstep.stage = 0 : i64}
// STAGES: sstep.sub {{.*}}sstep.role = "tile", sstep.stage = 1 : i64}
// STAGES: sstep.global_avg_pool2d {{.*}}sstep.role = "reduce", sstep.stage = 1 : i64}
// STAGES: sstep.sub {{.*}}sstep.role = "tile", sstep.stage = 2 : i64}
// STAGES: sstep.add {{.*}}sstep.role = "tile", sstep.stage = 2 : i64}
// Streamed, a norm trains: its means are reductions whose gradients are
// spread back over the image, its other ops have rules of their own.
// GRAD-LABEL: func.func @instance
// GRAD-SAME: sstep.differentiable
// GRAD: sstep.global_avg_pool2d {{.*}}sstep.role = "reduce", sstep.stage = 0 : i64, sstep.vjp = {grads = array<i1: true>, reads = array<i1: false>, reads_result = false}
// GRAD: sstep.sqrt {{.*}}sstep.role = "global", {{.*}}sstep.vjp =
func.func @instance(%x: tensor<1x3x?x?xf32>) -> tensor<1x3x?x?xf32> {
  %s = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %b = arith.constant dense<[0.5, 0.0, -0.5]> : tensor<3xf32>
  %r = sstep.relu %x : tensor<1x3x?x?xf32>
  %y = sstep.instance_norm %r, %s, %b {epsilon = 1.0e-03 : f32} : (tensor<1x3x?x?xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x?x?xf32>
  return %y : tensor<1x3x?x?xf32>
}

// -----

// GroupNorm's two groups of two channels: the per-channel means are averaged
// over each group and spread back to its channels by constant 1 x 1
// convolutions; a zero bias adds nothing.
// CHECK-LABEL: func.func @groups
// CHECK-DAG: %[[AVG:.*]] = arith.constant dense<{{\[\[\[\[}}5.000000e-01]], {{\[\[}}5.000000e-01]], {{\[\[}}0.000000e+00]], {{\[\[}}0.000000e+00]]], {{\[\[\[}}0.000000e+00]], {{\[\[}}0.000000e+00]], {{\[\[}}5.000000e-01]], {{\[\[}}5.000000e-01]]]]> : tensor<2x4x1x1xf32>
// CHECK-DAG: %[[SPREAD:.*]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00]], {{\[\[}}0.000000e+00]]], {{\[\[\[}}1.000000e+00]], {{\[\[}}0.000000e+00]]], {{\[\[\[}}0.000000e+00]], {{\[\[}}1.000000e+00]]], {{\[\[\[}}0.000000e+00]], {{\[\[}}1.000000e+00]]]]> : tensor<4x2x1x1xf32>
// CHECK: %[[M:.*]] = sstep.global_avg_pool2d %arg0
// CHECK: %[[G:.*]] = sstep.conv2d %[[M]], %[[AVG]] : (tensor<1x4x1x1xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x1x1xf32>
// CHECK: sstep.conv2d %[[G]], %[[SPREAD]] : (tensor<1x2x1x1xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x1x1xf32>
// The variance's group statistics use the same two matrices.
// CHECK: sstep.conv2d %{{.*}}, %[[AVG]] :
// CHECK: sstep.conv2d %{{.*}}, %[[SPREAD]] :
// CHECK: %[[N:.*]] = sstep.mul %{{.*}}, %{{.*}} : (tensor<1x4x?x?xf32>, tensor<1x4x1x1xf32>)
// CHECK-NEXT: return %[[N]]
// The input itself is streamed from its source, not stored: the last pass's
// x - mean stays in the second pass and is kept.
// STAGES-LABEL: func.func @groups
// STAGES: sstep.sub %arg0, {{.*}}sstep.role = "tile", sstep.stage = 1 : i64}
// STAGES: sstep.sub %arg0, {{.*}}sstep.materialize, sstep.role = "tile", sstep.stage = 1 : i64}
// STAGES: sstep.mul {{.*}}sstep.role = "tile", sstep.stage = 2 : i64}
// GRAD-LABEL: func.func @groups
// GRAD-SAME: sstep.differentiable
func.func @groups(%x: tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32> {
  %s = arith.constant dense<1.0> : tensor<4xf32>
  %b = arith.constant dense<0.0> : tensor<4xf32>
  %y = sstep.instance_norm %x, %s, %b {epsilon = 1.0e-05 : f32, groups = 2 : i64} : (tensor<1x4x?x?xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x?x?xf32>
  return %y : tensor<1x4x?x?xf32>
}

// -----

// Parameters that are not constants, or an input that is no NCHW image,
// leave the norm as it is.
// CHECK-LABEL: func.func @left_alone
// CHECK: sstep.instance_norm %arg0, %arg1, %arg1
// CHECK: sstep.instance_norm %arg2
func.func @left_alone(%x: tensor<1x4x?x?xf32>, %s: tensor<4xf32>, %z: tensor<1x4x?xf32>) -> (tensor<1x4x?x?xf32>, tensor<1x4x?xf32>) {
  %c = arith.constant dense<1.0> : tensor<4xf32>
  %y = sstep.instance_norm %x, %s, %s : (tensor<1x4x?x?xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x?x?xf32>
  %w = sstep.instance_norm %z, %c, %c : (tensor<1x4x?xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x?xf32>
  return %y, %w : tensor<1x4x?x?xf32>, tensor<1x4x?xf32>
}
