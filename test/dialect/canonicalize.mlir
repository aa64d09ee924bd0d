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
