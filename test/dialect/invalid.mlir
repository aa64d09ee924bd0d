// RUN: sstep-opt %s --split-input-file --verify-diagnostics

func.func @bad_stride(%x: tensor<1x3x?x?xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{expects every 'strides' entry >= 1, got 0}}
  %y = sstep.conv2d %x, %w {strides = array<i64: 0, 1>} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @short_pads(%x: tensor<1x3x?x?xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{expects 'pads' to have 4 entries, got 2}}
  %y = sstep.conv2d %x, %w {pads = array<i64: 1, 1>} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @negative_pad(%x: tensor<1x3x?x?xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{expects every 'pads' entry >= 0, got -1}}
  %y = sstep.conv2d %x, %w {pads = array<i64: 1, -1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @bad_dilation(%x: tensor<1x3x?x?xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{expects 'dilations' to have 2 entries, got 3}}
  %y = sstep.conv2d %x, %w {dilations = array<i64: 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @zero_groups(%x: tensor<1x3x?x?xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{attribute 'groups' failed to satisfy constraint}}
  %y = sstep.conv2d %x, %w {groups = 0} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @channel_mismatch(%x: tensor<1x4x?x?xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{expects 3 input channels (1 groups of 3), got 4}}
  %y = sstep.conv2d %x, %w : (tensor<1x4x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @groups_do_not_divide_filters(%x: tensor<1x8x?x?xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+1 {{expects the 6 filters to divide into 4 groups}}
  %y = sstep.conv2d %x, %w {groups = 4} : (tensor<1x8x?x?xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x?x?xf32>
  return
}

// -----

func.func @bias_size(%x: tensor<1x3x?x?xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<7xf32>) {
  // expected-error @+1 {{expects a bias of 8 entries, got 7}}
  %y = sstep.conv2d %x, %w, %b : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>, tensor<7xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @output_channels(%x: tensor<1x3x?x?xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{expects 8 output channels, got 4}}
  %y = sstep.conv2d %x, %w : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x4x?x?xf32>
  return
}

// -----

func.func @output_size(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{expects output H = 16, got 15}}
  %y = sstep.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x15x16xf32>
  return
}

// -----

func.func @kernel_too_large(%x: tensor<1x3x4x32xf32>, %w: tensor<8x3x7x3xf32>) {
  // expected-error @+1 {{kernel extent 7 exceeds the padded input size 6 on axis H}}
  %y = sstep.conv2d %x, %w {pads = array<i64: 1, 0, 1, 0>} : (tensor<1x3x4x32xf32>, tensor<8x3x7x3xf32>) -> tensor<1x8x?x30xf32>
  return
}

// -----

func.func @dynamic_weight(%x: tensor<1x3x?x?xf32>, %w: tensor<8x3x?x3xf32>) {
  // expected-error @+1 {{expects a weight of static shape}}
  %y = sstep.conv2d %x, %w : (tensor<1x3x?x?xf32>, tensor<8x3x?x3xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @mixed_types(%x: tensor<1x3x?x?xf16>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{expects input, weight, bias and output of one element type}}
  %y = sstep.conv2d %x, %w : (tensor<1x3x?x?xf16>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @not_4d(%x: tensor<3x?x?xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{operand #0 must be 4D tensor}}
  %y = sstep.conv2d %x, %w : (tensor<3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @pool_output_size(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{expects output H = 3, got 4}}
  %y = sstep.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>} : tensor<1x4x8x8xf32> -> tensor<1x4x4x3xf32>
  return
}

// -----

func.func @pool_channels(%x: tensor<1x4x?x?xf32>) {
  // expected-error @+1 {{expects output dim 1 to equal the input's}}
  %y = sstep.max_pool2d %x {kernel = array<i64: 2, 2>} : tensor<1x4x?x?xf32> -> tensor<1x5x?x?xf32>
  return
}

// -----

func.func @pool_pad_too_wide(%x: tensor<1x4x?x?xf32>) {
  // expected-error @+1 {{expects pads smaller than the window extent 2 on axis W}}
  %y = sstep.max_pool2d %x {kernel = array<i64: 2, 2>, pads = array<i64: 0, 2, 0, 0>} : tensor<1x4x?x?xf32> -> tensor<1x4x?x?xf32>
  return
}

// -----

func.func @avg_pool_dilation(%x: tensor<1x4x?x?xf32>) {
  // expected-error @+1 {{does not support dilation}}
  %y = sstep.avg_pool2d %x {kernel = array<i64: 2, 2>, dilations = array<i64: 2, 2>} : tensor<1x4x?x?xf32> -> tensor<1x4x?x?xf32>
  return
}

// -----

func.func @clip_range(%x: tensor<1x4x?x?xf32>) {
  // expected-error @+1 {{expects min <= max, got [6.000000e+00, 0.000000e+00]}}
  %y = sstep.clip %x {min = 6.0 : f32, max = 0.0 : f32} : tensor<1x4x?x?xf32>
  return
}

// -----

func.func @not_broadcastable(%x: tensor<1x4x?x?xf32>, %c: tensor<3x1x1xf32>) {
  // expected-error @+1 {{operands don't have broadcast-compatible shapes}}
  %y = sstep.add %x, %c : (tensor<1x4x?x?xf32>, tensor<3x1x1xf32>) -> tensor<1x4x?x?xf32>
  return
}

// -----

func.func @conv_transpose_output_padding(%x: tensor<1x16x?x?xf32>, %w: tensor<16x8x2x2xf32>) {
  // expected-error @+1 {{expects output_padding below the stride or the dilation on axis W, got 2}}
  %y = sstep.conv_transpose2d %x, %w {strides = array<i64: 2, 2>, output_padding = array<i64: 0, 2>} : (tensor<1x16x?x?xf32>, tensor<16x8x2x2xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @conv_transpose_channels(%x: tensor<1x8x?x?xf32>, %w: tensor<16x8x2x2xf32>) {
  // expected-error @+1 {{expects 16 input channels, got 8}}
  %y = sstep.conv_transpose2d %x, %w : (tensor<1x8x?x?xf32>, tensor<16x8x2x2xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @conv_transpose_size(%x: tensor<1x16x5x5xf32>, %w: tensor<16x4x3x3xf32>) {
  // expected-error @+1 {{expects output H = 11, got 10}}
  %y = sstep.conv_transpose2d %x, %w {strides = array<i64: 2, 2>, groups = 2} : (tensor<1x16x5x5xf32>, tensor<16x4x3x3xf32>) -> tensor<1x8x10x11xf32>
  return
}

// -----

func.func @global_pool_size(%x: tensor<1x4x?x?xf32>) {
  // expected-error @+1 {{expects an output of spatial size 1x1, got 'tensor<1x4x2x1xf32>'}}
  %y = sstep.global_avg_pool2d %x : tensor<1x4x?x?xf32> -> tensor<1x4x2x1xf32>
  return
}

// -----

func.func @global_pool_channels(%x: tensor<1x4x?x?xf32>) {
  // expected-error @+1 {{expects output dim 1 to equal the input's}}
  %y = sstep.global_max_pool2d %x : tensor<1x4x?x?xf32> -> tensor<1x3x1x1xf32>
  return
}

// -----

func.func @concat_mismatch(%a: tensor<1x4x?x?xf32>, %b: tensor<2x4x?x?xf32>) {
  // expected-error @+1 {{input 1 (2x4x?x?) differs from input 0 (1x4x?x?) outside axis 1}}
  %y = sstep.concat %a, %b {axis = 1 : i64} : (tensor<1x4x?x?xf32>, tensor<2x4x?x?xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @concat_sum(%a: tensor<1x4x?x?xf32>, %b: tensor<1x3x?x?xf32>) {
  // expected-error @+1 {{expects a result of shape 1x7x?x?, got 1x8x?x?}}
  %y = sstep.concat %a, %b {axis = 1 : i64} : (tensor<1x4x?x?xf32>, tensor<1x3x?x?xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<1x4x?x?xf32>) {
  // expected-error @+1 {{axis 4 is out of range for rank 4}}
  %y = sstep.concat %a {axis = 4 : i64} : (tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  return
}

// -----

func.func @concat_negative_axis(%a: tensor<1x4x?x?xf32>) {
  // expected-error @+1 {{attribute 'axis' failed to satisfy constraint}}
  %y = sstep.concat %a {axis = -1 : i64} : (tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  return
}

// -----

func.func @flatten_shape(%x: tensor<1x8x2x3xf32>) {
  // expected-error @+1 {{expects a result of shape 8x6, got 1x48}}
  %y = sstep.flatten %x {axis = 2 : i64} : tensor<1x8x2x3xf32> -> tensor<1x48xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<1x8x2x3xf32>) {
  // expected-error @+1 {{cannot reshape 1x8x2x3 (48 elements) to [5, -1]}}
  %y = sstep.reshape %x {shape = array<i64: 5, -1>} : tensor<1x8x2x3xf32> -> tensor<5x?xf32>
  return
}

// -----

func.func @reshape_two_inferred(%x: tensor<1x8x?x?xf32>) {
  // expected-error @+1 {{shape has more than one -1}}
  %y = sstep.reshape %x {shape = array<i64: -1, -1>} : tensor<1x8x?x?xf32> -> tensor<?x?xf32>
  return
}

// -----

func.func @reshape_copy_missing(%x: tensor<8x?xf32>) {
  // expected-error @+1 {{shape entry 0 at index 2 copies a dimension the input (rank 2) lacks}}
  %y = sstep.reshape %x {shape = array<i64: 8, -1, 0>} : tensor<8x?xf32> -> tensor<8x?x?xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<1x8x?x?xf32>) {
  // expected-error @+1 {{perm is not a permutation of 0..3}}
  %y = sstep.transpose %x {perm = array<i64: 0, 2, 2, 1>} : tensor<1x8x?x?xf32> -> tensor<1x?x?x8xf32>
  return
}

// -----

func.func @transpose_result(%x: tensor<1x8x2x3xf32>) {
  // expected-error @+1 {{expects a result of shape 1x2x3x8, got 1x8x2x3}}
  %y = sstep.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x8x2x3xf32> -> tensor<1x8x2x3xf32>
  return
}

// -----

func.func @gemm_k(%a: tensor<1x1024xf32>, %b: tensor<1000x1000xf32>) {
  // expected-error @+1 {{contracted dimensions differ: 1024 vs 1000}}
  %y = sstep.gemm %a, %b {transB = true} : (tensor<1x1024xf32>, tensor<1000x1000xf32>) -> tensor<1x1000xf32>
  return
}

// -----

func.func @gemm_bias(%a: tensor<1x1024xf32>, %b: tensor<1000x1024xf32>, %c: tensor<999xf32>) {
  // expected-error @+1 {{expects c to broadcast to the result: 999 does not broadcast to 1x1000}}
  %y = sstep.gemm %a, %b, %c {transB = true} : (tensor<1x1024xf32>, tensor<1000x1024xf32>, tensor<999xf32>) -> tensor<1x1000xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x4x8xf32>, %b: tensor<3x8x5xf32>) {
  // expected-error @+1 {{2 and 3 do not broadcast}}
  %y = sstep.matmul %a, %b : (tensor<2x4x8xf32>, tensor<3x8x5xf32>) -> tensor<2x4x5xf32>
  return
}

// -----

func.func @matmul_result(%a: tensor<4x8xf32>, %v: tensor<8xf32>) {
  // expected-error @+1 {{expects a result of shape 4, got 4x1}}
  %y = sstep.matmul %a, %v : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x1xf32>
  return
}

// -----

func.func @softmax_axes(%x: tensor<1x8x?x?xf32>) {
  // expected-error @+1 {{expects strictly increasing axes}}
  %y = sstep.softmax %x {axes = array<i64: 2, 1>} : tensor<1x8x?x?xf32>
  return
}

// -----

func.func @softmax_axis_range(%x: tensor<1x8x?x?xf32>) {
  // expected-error @+1 {{expects axes in [0, 4), got 4}}
  %y = sstep.log_softmax %x {axes = array<i64: 4>} : tensor<1x8x?x?xf32>
  return
}

// -----

func.func @instance_norm_scale(%x: tensor<1x8x?x?xf32>, %s: tensor<7xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{expects a scale of 8 entries, got 7}}
  %y = sstep.instance_norm %x, %s, %b : (tensor<1x8x?x?xf32>, tensor<7xf32>, tensor<8xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @group_norm_groups(%x: tensor<1x8x?x?xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{expects groups dividing the 8 channels, got 3}}
  %y = sstep.instance_norm %x, %s, %s {groups = 3 : i64} : (tensor<1x8x?x?xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @instance_norm_rank(%x: tensor<1x8xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{expects an input of rank >= 3}}
  %y = sstep.instance_norm %x, %s, %s : (tensor<1x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8xf32>
  return
}

// -----

// A scale of C entries aligns with W, not C (NumPy's trailing alignment).
func.func @layer_norm_scale(%x: tensor<1x8x4x5xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{expects the scale to broadcast to the input: 8 does not broadcast to 1x8x4x5}}
  %y = sstep.layer_norm %x, %s {axes = array<i64: 1>} : (tensor<1x8x4x5xf32>, tensor<8xf32>) -> tensor<1x8x4x5xf32>
  return
}

// -----

func.func @layer_norm_no_axes(%x: tensor<1x8x?x?xf32>, %s: tensor<8x1x1xf32>) {
  // expected-error @+1 {{expects at least one axis}}
  %y = sstep.layer_norm %x, %s {axes = array<i64>} : (tensor<1x8x?x?xf32>, tensor<8x1x1xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @prelu_slope(%x: tensor<1x8x?x?xf32>, %s: tensor<3x1x1xf32>) {
  // expected-error @+1 {{expects the slope to broadcast to the input: 3x1x1 does not broadcast to 1x8x?x?}}
  %y = sstep.prelu %x, %s : (tensor<1x8x?x?xf32>, tensor<3x1x1xf32>) -> tensor<1x8x?x?xf32>
  return
}

// -----

func.func @prelu_result(%x: tensor<1x8x?x?xf32>, %s: tensor<8x1x1xf32>) {
  // expected-error @+1 {{all of {input, output} have same type}}
  %y = sstep.prelu %x, %s : (tensor<1x8x?x?xf32>, tensor<8x1x1xf32>) -> tensor<1x8x?x?xf16>
  return
}

// -----

func.func @pow_without_exponent(%x: tensor<1x8x?x?xf32>) {
  // expected-error @+1 {{requires attribute 'exponent'}}
  %y = sstep.pow %x : tensor<1x8x?x?xf32>
  return
}

// -----

func.func @conv_transpose_element_type(%x: tensor<1x16x?x?xf32>, %w: tensor<16x8x2x2xf16>) {
  // expected-error @+1 {{expects input, weight, bias and output of one element type}}
  %y = sstep.conv_transpose2d %x, %w : (tensor<1x16x?x?xf32>, tensor<16x8x2x2xf16>) -> tensor<1x8x?x?xf32>
  return
}
