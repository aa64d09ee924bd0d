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

// -----

// CHECK-LABEL: func.func @pools
// CHECK: sstep.max_pool2d %{{.*}} {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x64x?x?xf32> -> tensor<1x64x?x?xf32>
// CHECK: sstep.avg_pool2d %{{.*}} {ceil_mode = true, count_include_pad = true, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x64x?x?xf32> -> tensor<1x64x?x?xf32>
// CHECK: sstep.max_pool2d %{{.*}} {ceil_mode = true, kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>} : tensor<1x4x8x9xf32> -> tensor<1x4x4x4xf32>
func.func @pools(%x: tensor<1x64x?x?xf32>, %s: tensor<1x4x8x9xf32>) -> (tensor<1x64x?x?xf32>, tensor<1x4x4x4xf32>) {
  %0 = sstep.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x64x?x?xf32> -> tensor<1x64x?x?xf32>
  %1 = sstep.avg_pool2d %0 {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, ceil_mode = true, count_include_pad = true} : tensor<1x64x?x?xf32> -> tensor<1x64x?x?xf32>
  // ceil mode: H = ceil((8 - 3) / 2) + 1 = 4; W = ceil((9 - 3) / 2) + 1 = 4.
  %2 = sstep.max_pool2d %s {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, ceil_mode = true} : tensor<1x4x8x9xf32> -> tensor<1x4x4x4xf32>
  return %1, %2 : tensor<1x64x?x?xf32>, tensor<1x4x4x4xf32>
}

// -----

// CHECK-LABEL: func.func @pointwise
// CHECK: sstep.relu %{{.*}} : tensor<1x8x?x?xf32>
// CHECK: sstep.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f32} : tensor<1x8x?x?xf32>
// CHECK: sstep.clip %{{.*}} {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32} : tensor<1x8x?x?xf32>
// CHECK: sstep.hard_sigmoid %{{.*}} : tensor<1x8x?x?xf32>
// CHECK: sstep.sigmoid
// CHECK: sstep.add %{{.*}}, %{{.*}} : (tensor<1x8x?x?xf32>, tensor<8x1x1xf32>) -> tensor<1x8x?x?xf32>
// CHECK: sstep.mul %{{.*}}, %{{.*}} : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
func.func @pointwise(%x: tensor<1x8x?x?xf32>, %c: tensor<8x1x1xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.relu %x : tensor<1x8x?x?xf32>
  %1 = sstep.leaky_relu %0 {alpha = 0.1 : f32} : tensor<1x8x?x?xf32>
  %2 = sstep.clip %1 {min = 0.0 : f32, max = 6.0 : f32} : tensor<1x8x?x?xf32>
  %3 = sstep.hard_sigmoid %2 : tensor<1x8x?x?xf32>
  %4 = sstep.sigmoid %3 : tensor<1x8x?x?xf32>
  %5 = sstep.add %4, %c : (tensor<1x8x?x?xf32>, tensor<8x1x1xf32>) -> tensor<1x8x?x?xf32>
  %6 = sstep.mul %5, %x : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  return %6 : tensor<1x8x?x?xf32>
}

// -----

// A U-Net up-step: 2x2 kernel, stride 2, with output padding for odd sizes.
// CHECK-LABEL: func.func @conv_transpose
// CHECK: sstep.conv_transpose2d %{{.*}}, %{{.*}}, %{{.*}} {output_padding = array<i64: 1, 0>, strides = array<i64: 2, 2>} : (tensor<1x16x5x4xf32>, tensor<16x8x2x2xf32>, tensor<8xf32>) -> tensor<1x8x11x8xf32>
func.func @conv_transpose(%x: tensor<1x16x5x4xf32>, %w: tensor<16x8x2x2xf32>, %b: tensor<8xf32>) -> tensor<1x8x11x8xf32> {
  %y = sstep.conv_transpose2d %x, %w, %b {strides = array<i64: 2, 2>, output_padding = array<i64: 1, 0>}
      : (tensor<1x16x5x4xf32>, tensor<16x8x2x2xf32>, tensor<8xf32>) -> tensor<1x8x11x8xf32>
  return %y : tensor<1x8x11x8xf32>
}
