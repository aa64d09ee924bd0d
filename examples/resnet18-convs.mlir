// The convolutions along the main path of a ResNet-18 trunk (the stem, then
// four stages of 3x3 convs), on an image of any size. Its max pool and residual
// adds arrive with the ops of the ONNX frontend; scripts/demo.sh prints the
// receptive field of each layer.
func.func @resnet18_convs(%image: tensor<1x3x?x?xf32>,
    %w0: tensor<64x3x7x7xf32>,
    %w1: tensor<64x64x3x3xf32>,
    %w2: tensor<64x64x3x3xf32>,
    %w3: tensor<64x64x3x3xf32>,
    %w4: tensor<64x64x3x3xf32>,
    %w5: tensor<128x64x3x3xf32>,
    %w6: tensor<128x128x3x3xf32>,
    %w7: tensor<128x128x3x3xf32>,
    %w8: tensor<128x128x3x3xf32>,
    %w9: tensor<256x128x3x3xf32>,
    %w10: tensor<256x256x3x3xf32>,
    %w11: tensor<256x256x3x3xf32>,
    %w12: tensor<256x256x3x3xf32>,
    %w13: tensor<512x256x3x3xf32>,
    %w14: tensor<512x512x3x3xf32>,
    %w15: tensor<512x512x3x3xf32>,
    %w16: tensor<512x512x3x3xf32>) -> tensor<1x512x?x?xf32> {
  %0 = sstep.conv2d %image, %w0 {pads = array<i64: 3, 3, 3, 3>, strides = array<i64: 2, 2>}
      : (tensor<1x3x?x?xf32>, tensor<64x3x7x7xf32>) -> tensor<1x64x?x?xf32>
  %1 = sstep.conv2d %0, %w1 {pads = array<i64: 1, 1, 1, 1>}
      : (tensor<1x64x?x?xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x?x?xf32>
  %2 = sstep.conv2d %1, %w2 {pads = array<i64: 1, 1, 1, 1>}
      : (tensor<1x64x?x?xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x?x?xf32>
  %3 = sstep.conv2d %2, %w3 {pads = array<i64: 1, 1, 1, 1>}
      : (tensor<1x64x?x?xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x?x?xf32>
  %4 = sstep.conv2d %3, %w4 {pads = array<i64: 1, 1, 1, 1>}
      : (tensor<1x64x?x?xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x?x?xf32>
  %5 = sstep.conv2d %4, %w5 {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<1x64x?x?xf32>, tensor<128x64x3x3xf32>) -> tensor<1x128x?x?xf32>
  %6 = sstep.conv2d %5, %w6 {pads = array<i64: 1, 1, 1, 1>}
      : (tensor<1x128x?x?xf32>, tensor<128x128x3x3xf32>) -> tensor<1x128x?x?xf32>
  %7 = sstep.conv2d %6, %w7 {pads = array<i64: 1, 1, 1, 1>}
      : (tensor<1x128x?x?xf32>, tensor<128x128x3x3xf32>) -> tensor<1x128x?x?xf32>
  %8 = sstep.conv2d %7, %w8 {pads = array<i64: 1, 1, 1, 1>}
      : (tensor<1x128x?x?xf32>, tensor<128x128x3x3xf32>) -> tensor<1x128x?x?xf32>
  %9 = sstep.conv2d %8, %w9 {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<1x128x?x?xf32>, tensor<256x128x3x3xf32>) -> tensor<1x256x?x?xf32>
  %10 = sstep.conv2d %9, %w10 {pads = array<i64: 1, 1, 1, 1>}
      : (tensor<1x256x?x?xf32>, tensor<256x256x3x3xf32>) -> tensor<1x256x?x?xf32>
  %11 = sstep.conv2d %10, %w11 {pads = array<i64: 1, 1, 1, 1>}
      : (tensor<1x256x?x?xf32>, tensor<256x256x3x3xf32>) -> tensor<1x256x?x?xf32>
  %12 = sstep.conv2d %11, %w12 {pads = array<i64: 1, 1, 1, 1>}
      : (tensor<1x256x?x?xf32>, tensor<256x256x3x3xf32>) -> tensor<1x256x?x?xf32>
  %13 = sstep.conv2d %12, %w13 {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<1x256x?x?xf32>, tensor<512x256x3x3xf32>) -> tensor<1x512x?x?xf32>
  %14 = sstep.conv2d %13, %w14 {pads = array<i64: 1, 1, 1, 1>}
      : (tensor<1x512x?x?xf32>, tensor<512x512x3x3xf32>) -> tensor<1x512x?x?xf32>
  %15 = sstep.conv2d %14, %w15 {pads = array<i64: 1, 1, 1, 1>}
      : (tensor<1x512x?x?xf32>, tensor<512x512x3x3xf32>) -> tensor<1x512x?x?xf32>
  %16 = sstep.conv2d %15, %w16 {pads = array<i64: 1, 1, 1, 1>}
      : (tensor<1x512x?x?xf32>, tensor<512x512x3x3xf32>) -> tensor<1x512x?x?xf32>
  return %16 : tensor<1x512x?x?xf32>
}
