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
// CHECK: sstep.abs %{{.*}} : tensor<1x8x?x?xf32>
// CHECK: sstep.neg %{{.*}} : tensor<1x8x?x?xf32>
// CHECK: sstep.add %{{.*}}, %{{.*}} : (tensor<1x8x?x?xf32>, tensor<8x1x1xf32>) -> tensor<1x8x?x?xf32>
// CHECK: sstep.mul %{{.*}}, %{{.*}} : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
func.func @pointwise(%x: tensor<1x8x?x?xf32>, %c: tensor<8x1x1xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.relu %x : tensor<1x8x?x?xf32>
  %1 = sstep.leaky_relu %0 {alpha = 0.1 : f32} : tensor<1x8x?x?xf32>
  %2 = sstep.clip %1 {min = 0.0 : f32, max = 6.0 : f32} : tensor<1x8x?x?xf32>
  %3 = sstep.hard_sigmoid %2 : tensor<1x8x?x?xf32>
  %s = sstep.sigmoid %3 : tensor<1x8x?x?xf32>
  %a = sstep.abs %s : tensor<1x8x?x?xf32>
  %4 = sstep.neg %a : tensor<1x8x?x?xf32>
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

// -----

// CHECK-LABEL: func.func @global_pools
// CHECK: sstep.global_avg_pool2d %{{.*}} : tensor<1x64x?x?xf32> -> tensor<1x64x1x1xf32>
// CHECK: sstep.global_max_pool2d %{{.*}} : tensor<1x64x?x?xf32> -> tensor<1x64x1x1xf32>
func.func @global_pools(%x: tensor<1x64x?x?xf32>) -> (tensor<1x64x1x1xf32>, tensor<1x64x1x1xf32>) {
  %0 = sstep.global_avg_pool2d %x : tensor<1x64x?x?xf32> -> tensor<1x64x1x1xf32>
  %1 = sstep.global_max_pool2d %x : tensor<1x64x?x?xf32> -> tensor<1x64x1x1xf32>
  return %0, %1 : tensor<1x64x1x1xf32>, tensor<1x64x1x1xf32>
}

// -----

// CHECK-LABEL: func.func @concat
// CHECK: sstep.concat %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<1x8x?x?xf32>, tensor<1x16x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x32x?x?xf32>
// CHECK: sstep.concat %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
// CHECK: sstep.concat %{{.*}} {axis = 0 : i64} : (tensor<3xf32>) -> tensor<3xf32>
func.func @concat(%a: tensor<1x8x?x?xf32>, %b: tensor<1x16x?x?xf32>, %v: tensor<3xf32>) -> (tensor<1x32x?x?xf32>, tensor<1x8x?x?xf32>, tensor<3xf32>) {
  %0 = sstep.concat %a, %b, %a {axis = 1 : i64} : (tensor<1x8x?x?xf32>, tensor<1x16x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x32x?x?xf32>
  %1 = sstep.concat %a, %a {axis = 2 : i64} : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %2 = sstep.concat %v {axis = 0 : i64} : (tensor<3xf32>) -> tensor<3xf32>
  return %0, %1, %2 : tensor<1x32x?x?xf32>, tensor<1x8x?x?xf32>, tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @data_movement
// CHECK: sstep.flatten %{{.*}} {axis = 1 : i64} : tensor<1x1024x1x1xf32> -> tensor<1x1024xf32>
// CHECK: sstep.flatten %{{.*}} {axis = 2 : i64} : tensor<1x8x?x?xf32> -> tensor<8x?xf32>
// CHECK: sstep.reshape %{{.*}} {shape = array<i64: 0, 0, -1>} : tensor<1x8x?x?xf32> -> tensor<1x8x?xf32>
// CHECK: sstep.reshape %{{.*}} {allowzero = true, shape = array<i64: 4, 0, 6>} : tensor<2x3x0xf32> -> tensor<4x0x6xf32>
// CHECK: sstep.transpose %{{.*}} {perm = array<i64: 0, 2, 3, 1>} : tensor<1x8x?x?xf32> -> tensor<1x?x?x8xf32>
func.func @data_movement(%p: tensor<1x1024x1x1xf32>, %x: tensor<1x8x?x?xf32>, %e: tensor<2x3x0xf32>) -> (tensor<1x1024xf32>, tensor<8x?xf32>, tensor<1x8x?xf32>, tensor<4x0x6xf32>, tensor<1x?x?x8xf32>) {
  %0 = sstep.flatten %p {axis = 1 : i64} : tensor<1x1024x1x1xf32> -> tensor<1x1024xf32>
  %1 = sstep.flatten %x {axis = 2 : i64} : tensor<1x8x?x?xf32> -> tensor<8x?xf32>
  %2 = sstep.reshape %x {shape = array<i64: 0, 0, -1>} : tensor<1x8x?x?xf32> -> tensor<1x8x?xf32>
  %3 = sstep.reshape %e {shape = array<i64: 4, 0, 6>, allowzero = true} : tensor<2x3x0xf32> -> tensor<4x0x6xf32>
  %4 = sstep.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x8x?x?xf32> -> tensor<1x?x?x8xf32>
  return %0, %1, %2, %3, %4 : tensor<1x1024xf32>, tensor<8x?xf32>, tensor<1x8x?xf32>, tensor<4x0x6xf32>, tensor<1x?x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @matrix
// CHECK: sstep.gemm %{{.*}}, %{{.*}}, %{{.*}} {alpha = 5.000000e-01 : f32, transB = true} : (tensor<1x1024xf32>, tensor<1000x1024xf32>, tensor<1000xf32>) -> tensor<1x1000xf32>
// CHECK: sstep.gemm %{{.*}}, %{{.*}} {beta = 2.000000e+00 : f32, transA = true} : (tensor<1024x3xf32>, tensor<1024x1000xf32>) -> tensor<3x1000xf32>
// CHECK: sstep.matmul %{{.*}}, %{{.*}} : (tensor<2x1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32>
// CHECK: sstep.matmul %{{.*}}, %{{.*}} : (tensor<8xf32>, tensor<3x8x5xf32>) -> tensor<3x5xf32>
func.func @matrix(%x: tensor<1x1024xf32>, %w: tensor<1000x1024xf32>, %b: tensor<1000xf32>, %t: tensor<1024x3xf32>, %u: tensor<1024x1000xf32>,
                  %a4: tensor<2x1x4x8xf32>, %b3: tensor<3x8x5xf32>, %v: tensor<8xf32>) -> (tensor<1x1000xf32>, tensor<3x1000xf32>, tensor<2x3x4x5xf32>, tensor<3x5xf32>) {
  %0 = sstep.gemm %x, %w, %b {transB = true, alpha = 0.5 : f32} : (tensor<1x1024xf32>, tensor<1000x1024xf32>, tensor<1000xf32>) -> tensor<1x1000xf32>
  %1 = sstep.gemm %t, %u {transA = true, beta = 2.0 : f32} : (tensor<1024x3xf32>, tensor<1024x1000xf32>) -> tensor<3x1000xf32>
  %2 = sstep.matmul %a4, %b3 : (tensor<2x1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32>
  %3 = sstep.matmul %v, %b3 : (tensor<8xf32>, tensor<3x8x5xf32>) -> tensor<3x5xf32>
  return %0, %1, %2, %3 : tensor<1x1000xf32>, tensor<3x1000xf32>, tensor<2x3x4x5xf32>, tensor<3x5xf32>
}

// -----

// CHECK-LABEL: func.func @normalisations
// CHECK: sstep.softmax %{{.*}} {axes = array<i64: 1>} : tensor<1x19x?x?xf32>
// CHECK: sstep.log_softmax %{{.*}} {axes = array<i64: 1, 2, 3>} : tensor<1x19x?x?xf32>
// CHECK: sstep.instance_norm %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x19x?x?xf32>, tensor<19xf32>, tensor<19xf32>) -> tensor<1x19x?x?xf32>
// CHECK: sstep.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {axes = array<i64: 1>, epsilon = 9.99999997E-7 : f32} : (tensor<1x19x?x?xf32>, tensor<19x1x1xf32>, tensor<19x1x1xf32>) -> tensor<1x19x?x?xf32>
// CHECK: sstep.layer_norm %{{.*}}, %{{.*}} {axes = array<i64: 1, 2, 3>} : (tensor<1x19x?x?xf32>, tensor<f32>) -> tensor<1x19x?x?xf32>
func.func @normalisations(%x: tensor<1x19x?x?xf32>, %c: tensor<19xf32>, %c3: tensor<19x1x1xf32>, %s: tensor<f32>) -> tensor<1x19x?x?xf32> {
  %0 = sstep.softmax %x {axes = array<i64: 1>} : tensor<1x19x?x?xf32>
  %1 = sstep.log_softmax %0 {axes = array<i64: 1, 2, 3>} : tensor<1x19x?x?xf32>
  %2 = sstep.instance_norm %1, %c, %c : (tensor<1x19x?x?xf32>, tensor<19xf32>, tensor<19xf32>) -> tensor<1x19x?x?xf32>
  %3 = sstep.layer_norm %2, %c3, %c3 {axes = array<i64: 1>, epsilon = 1.0e-6 : f32} : (tensor<1x19x?x?xf32>, tensor<19x1x1xf32>, tensor<19x1x1xf32>) -> tensor<1x19x?x?xf32>
  %4 = sstep.layer_norm %3, %s {axes = array<i64: 1, 2, 3>} : (tensor<1x19x?x?xf32>, tensor<f32>) -> tensor<1x19x?x?xf32>
  return %4 : tensor<1x19x?x?xf32>
}

// -----

// CHECK-LABEL: func.func @prelu_pow
// CHECK: sstep.prelu %{{.*}}, %{{.*}} : (tensor<1x8x?x?xf32>, tensor<8x1x1xf32>) -> tensor<1x8x?x?xf32>
// CHECK: sstep.pow %{{.*}} {exponent = 5.000000e-01 : f32} : tensor<1x8x?x?xf32>
func.func @prelu_pow(%x: tensor<1x8x?x?xf32>, %slope: tensor<8x1x1xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.prelu %x, %slope : (tensor<1x8x?x?xf32>, tensor<8x1x1xf32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.pow %0 {exponent = 0.5 : f32} : tensor<1x8x?x?xf32>
  return %1 : tensor<1x8x?x?xf32>
}
