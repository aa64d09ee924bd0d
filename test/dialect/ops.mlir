// RUN: sstep-opt %s --split-input-file | FileCheck %s
// Round trip: print, parse again and print the same.
// RUN: sstep-opt %s --split-input-file | sstep-opt --split-input-file | FileCheck %s
// Generic form survives too.
// RUN: sstep-opt %s --split-input-file --mlir-print-op-generic | sstep-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @defaults
// CHECK: sstep.conv2d %{{.*}}, %{{.*}} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
func.func @defaults(%x: tensor<1x3x?x?xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32> {
  %y = sstep.conv2d %x, %w : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  return %y : tensor<1x8x?x?xf32>
}

// -----

// CHECK-LABEL: func.func @all_attributes
// CHECK: sstep.conv2d %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 2, 1>, groups = 4 : i64, pads = array<i64: 0, 1, 2, 3>, strides = array<i64: 2, 2>}
// CHECK-SAME: (tensor<1x8x?x?xf32>, tensor<16x2x3x3xf32>, tensor<16xf32>) -> tensor<1x16x?x?xf32>
func.func @all_attributes(%x: tensor<1x8x?x?xf32>, %w: tensor<16x2x3x3xf32>, %b: tensor<16xf32>) -> tensor<1x16x?x?xf32> {
  %y = sstep.conv2d %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 2, 1>, pads = array<i64: 0, 1, 2, 3>, groups = 4}
      : (tensor<1x8x?x?xf32>, tensor<16x2x3x3xf32>, tensor<16xf32>) -> tensor<1x16x?x?xf32>
  return %y : tensor<1x16x?x?xf32>
}

// -----

// A depthwise convolution on a static image, in half precision.
// CHECK-LABEL: func.func @depthwise_static
// CHECK: sstep.conv2d {{.*}} {groups = 32 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x32x17x16xf16>, tensor<32x1x3x3xf16>) -> tensor<1x32x9x8xf16>
func.func @depthwise_static(%x: tensor<1x32x17x16xf16>, %w: tensor<32x1x3x3xf16>) -> tensor<1x32x9x8xf16> {
  %y = sstep.conv2d %x, %w {groups = 32, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<1x32x17x16xf16>, tensor<32x1x3x3xf16>) -> tensor<1x32x9x8xf16>
  return %y : tensor<1x32x9x8xf16>
}
