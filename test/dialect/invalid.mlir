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
