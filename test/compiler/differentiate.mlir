// RUN: sstep-opt %s --split-input-file --sstep-partition --sstep-differentiate | FileCheck %s
// RUN: not sstep-opt %s --split-input-file --sstep-partition --sstep-differentiate=require 2>&1 >/dev/null | FileCheck %s --check-prefix=REQUIRE

// A residual block's tail: the convolution's product reads its input and
// weight, not its bias; the sum reads nothing; relu reads its result.
// CHECK-LABEL: func.func @residual
// CHECK-SAME: sstep.differentiable
// CHECK: sstep.conv2d {{.*}}sstep.vjp = {grads = array<i1: true, true, true>, reads = array<i1: true, true, false>, reads_result = false}
// CHECK: sstep.add {{.*}}sstep.vjp = {grads = array<i1: true, true>, reads = array<i1: false, false>, reads_result = false}
// CHECK: sstep.relu {{.*}}sstep.vjp = {grads = array<i1: true>, reads = array<i1: false>, reads_result = true}
// With `require`, each refusal is an error at its node.
// REQUIRE: error: the trunk's output is not an image: end the trunk before its global pool and head
// REQUIRE: error: {{.*}}node 'norm' (sstep.instance_norm) needs the whole image
// REQUIRE: differentiate.mlir:{{[0-9]+}} offset :{{[0-9]+}}:{{[0-9]+}}: error: the backward pass takes a trunk of one input and one output; this model has 2 and 1
func.func @residual(%x: tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32> {
  %w = arith.constant dense<1.0> : tensor<8x8x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<8xf32>
  %0 = sstep.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x?x?xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.add %0, %x : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %2 = sstep.relu %1 : tensor<1x8x?x?xf32>
  return %2 : tensor<1x8x?x?xf32>
}

// -----

// Pools, geometry, data movement and a trainable per-channel affine (an
// eval-mode BatchNorm kept apart from its convolution). A resize's `like`
// gives its size only, so it gets no gradient.
// CHECK-LABEL: func.func @decoder
// CHECK-SAME: sstep.differentiable
// CHECK: sstep.max_pool2d {{.*}}sstep.vjp = {grads = array<i1: true>, reads = array<i1: true>, reads_result = false}
// CHECK: sstep.avg_pool2d {{.*}}sstep.vjp = {grads = array<i1: true>, reads = array<i1: false>, reads_result = false}
// CHECK: sstep.mul {{.*}}sstep.vjp = {grads = array<i1: true, true>, reads = array<i1: true, true>, reads_result = false}
// CHECK: sstep.leaky_relu {{.*}}sstep.vjp = {grads = array<i1: true>, reads = array<i1: true>, reads_result = false}
// CHECK: sstep.conv_transpose2d {{.*}}sstep.vjp = {grads = array<i1: true, true>, reads = array<i1: true, true>, reads_result = false}
// CHECK: sstep.resize2d {{.*}}sstep.vjp = {grads = array<i1: true, false>, reads = array<i1: false, false>, reads_result = false}
// CHECK: sstep.concat {{.*}}sstep.vjp = {grads = array<i1: true, true>, reads = array<i1: false, false>, reads_result = false}
// CHECK: sstep.channel_shuffle {{.*}}sstep.vjp = {grads = array<i1: true>, reads = array<i1: false>, reads_result = false}
// CHECK: sstep.slice {{.*}}sstep.vjp = {grads = array<i1: true>, reads = array<i1: false>, reads_result = false}
// CHECK: sstep.pad2d {{.*}}sstep.vjp = {grads = array<i1: true>, reads = array<i1: false>, reads_result = false}
// CHECK: sstep.layer_norm {{.*}}sstep.vjp = {grads = array<i1: true, true, true>, reads = array<i1: true, true, true>, reads_result = false}
func.func @decoder(%x: tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32> {
  %scale = arith.constant dense<2.0> : tensor<4x1x1xf32>
  %w = arith.constant dense<0.25> : tensor<4x4x2x2xf32>
  %g = arith.constant dense<1.0> : tensor<4x1x1xf32>
  %h = arith.constant dense<0.0> : tensor<4x1x1xf32>
  %0 = sstep.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x4x?x?xf32> -> tensor<1x4x?x?xf32>
  %1 = sstep.avg_pool2d %0 {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x4x?x?xf32> -> tensor<1x4x?x?xf32>
  %2 = sstep.mul %1, %scale : (tensor<1x4x?x?xf32>, tensor<4x1x1xf32>) -> tensor<1x4x?x?xf32>
  %3 = sstep.leaky_relu %2 : tensor<1x4x?x?xf32>
  %4 = sstep.conv_transpose2d %3, %w {strides = array<i64: 2, 2>} : (tensor<1x4x?x?xf32>, tensor<4x4x2x2xf32>) -> tensor<1x4x?x?xf32>
  %5 = sstep.resize2d %4 like %x {mode = "linear"} : (tensor<1x4x?x?xf32>, tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %6 = sstep.concat %5, %x {axis = 1 : i64} : (tensor<1x4x?x?xf32>, tensor<1x4x?x?xf32>) -> tensor<1x8x?x?xf32>
  %7 = sstep.channel_shuffle %6 {groups = 2 : i64} : tensor<1x8x?x?xf32>
  %8 = sstep.slice %7 {axes = array<i64: 1>, ends = array<i64: 4>, starts = array<i64: 0>, steps = array<i64: 1>} : tensor<1x8x?x?xf32> -> tensor<1x4x?x?xf32>
  %9 = sstep.pad2d %8 {pads = array<i64: 1, 1, -1, -1>} : tensor<1x4x?x?xf32> -> tensor<1x4x?x?xf32>
  %10 = sstep.layer_norm %9, %g, %h {axes = array<i64: 1>} : (tensor<1x4x?x?xf32>, tensor<4x1x1xf32>, tensor<4x1x1xf32>) -> tensor<1x4x?x?xf32>
  return %10 : tensor<1x4x?x?xf32>
}

// -----

// A trunk ending in its global pool still compiles for inference; the
// reason it cannot be trained says where to end it.
// CHECK-LABEL: func.func @pooled
// CHECK-SAME: sstep.not_differentiable = "the trunk's output is not an image: end the trunk before its global pool and head, which belong to PyTorch"
// CHECK-NOT: sstep.vjp
// CHECK: return
func.func @pooled(%x: tensor<1x3x?x?xf32>) -> tensor<1x3x1x1xf32> {
  %0 = sstep.relu %x : tensor<1x3x?x?xf32> loc("act")
  %1 = sstep.global_avg_pool2d %0 : tensor<1x3x?x?xf32> -> tensor<1x3x1x1xf32> loc("pool")
  return %1 : tensor<1x3x1x1xf32>
}

// -----

// A squeeze-and-excitation block: the mean over the image ends stage 0 (its
// gradient is spread back over the image and reads nothing), the
// bottleneck runs on its small result (global ops, whose gradients reach
// the mean), and the product is stage 1's tile op, whose gradient reaches
// the scale too.
// CHECK-LABEL: func.func @squeeze_excite
// CHECK-SAME: sstep.differentiable
// CHECK: sstep.global_avg_pool2d {{.*}}sstep.role = "reduce", sstep.stage = 0 : i64, sstep.vjp = {grads = array<i1: true>, reads = array<i1: false>, reads_result = false}
// CHECK: sstep.conv2d {{.*}}sstep.role = "global", sstep.stage = 1 : i64, sstep.vjp = {grads = array<i1: true, true>, reads = array<i1: true, true>, reads_result = false}
// CHECK: sstep.sigmoid {{.*}}sstep.role = "global", {{.*}}sstep.vjp = {grads = array<i1: true>
// CHECK: sstep.mul {{.*}}sstep.role = "tile", sstep.stage = 1 : i64, sstep.vjp = {grads = array<i1: true, true>, reads = array<i1: true, true>, reads_result = false}
func.func @squeeze_excite(%x: tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32> {
  %w = arith.constant dense<0.1> : tensor<8x8x1x1xf32>
  %0 = sstep.global_avg_pool2d %x : tensor<1x8x?x?xf32> -> tensor<1x8x1x1xf32> loc("se/pool")
  %1 = sstep.conv2d %0, %w : (tensor<1x8x1x1xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x1x1xf32>
  %2 = sstep.sigmoid %1 : tensor<1x8x1x1xf32>
  %3 = sstep.mul %x, %2 : (tensor<1x8x?x?xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x?x?xf32>
  return %3 : tensor<1x8x?x?xf32>
}

// -----

// A gate from the image's maximum (CBAM's channel attention): the global
// max pool's gradient goes to each plane's first maximum, as
// adaptive_max_pool2d's does; it reads the input and the result. amax
// (ONNX ReduceMax, imported with `split_ties`) splits it evenly among tied
// maxima.
// CHECK-LABEL: func.func @max_gate
// CHECK-SAME: sstep.differentiable
// CHECK: sstep.global_max_pool2d {{.*}}sstep.role = "reduce", sstep.stage = 0 : i64, sstep.vjp = {grads = array<i1: true>, reads = array<i1: true>, reads_result = true}
func.func @max_gate(%x: tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.global_max_pool2d %x : tensor<1x8x?x?xf32> -> tensor<1x8x1x1xf32> loc("gate")
  %1 = sstep.sigmoid %0 : tensor<1x8x1x1xf32>
  %2 = sstep.mul %x, %1 : (tensor<1x8x?x?xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x?x?xf32>
  return %2 : tensor<1x8x?x?xf32>
}

// -----

// CHECK-LABEL: func.func @amax_gate
// CHECK-SAME: sstep.differentiable
// CHECK: sstep.global_max_pool2d {{.*}}split_ties{{.*}}sstep.vjp = {grads = array<i1: true>, reads = array<i1: true>, reads_result = true}
func.func @amax_gate(%x: tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32> {
  %0 = sstep.global_max_pool2d %x {split_ties} : tensor<1x8x?x?xf32> -> tensor<1x8x1x1xf32> loc("amax")
  %1 = sstep.sigmoid %0 : tensor<1x8x1x1xf32>
  %2 = sstep.mul %x, %1 : (tensor<1x8x?x?xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x?x?xf32>
  return %2 : tensor<1x8x?x?xf32>
}

// -----

// CBAM's channel pool: the maximum's product reads the input and the result
// (it finds the channels that hold it), the mean's reads nothing.
// CHECK-LABEL: func.func @channel_pool
// CHECK-SAME: sstep.differentiable
// CHECK: sstep.reduce {{.*}}kind = "max"{{.*}}sstep.vjp = {grads = array<i1: true>, reads = array<i1: true>, reads_result = true}
// CHECK: sstep.reduce {{.*}}kind = "mean"{{.*}}sstep.vjp = {grads = array<i1: true>, reads = array<i1: false>, reads_result = false}
func.func @channel_pool(%x: tensor<1x5x?x?xf32>) -> tensor<1x2x?x?xf32> {
  %0 = sstep.reduce %x {axes = array<i64: 1>, keepdims = true, kind = "max"} : tensor<1x5x?x?xf32> -> tensor<1x1x?x?xf32> loc("cmax")
  %1 = sstep.reduce %x {axes = array<i64: 1>, keepdims = true, kind = "mean"} : tensor<1x5x?x?xf32> -> tensor<1x1x?x?xf32> loc("cmean")
  %2 = sstep.concat %0, %1 {axis = 1 : i64} : (tensor<1x1x?x?xf32>, tensor<1x1x?x?xf32>) -> tensor<1x2x?x?xf32>
  return %2 : tensor<1x2x?x?xf32>
}

// -----

// Softmax and log softmax over channels: their products read the result.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME: sstep.differentiable
// CHECK: sstep.softmax {{.*}}sstep.vjp = {grads = array<i1: true>, reads = array<i1: false>, reads_result = true}
// CHECK: sstep.log_softmax {{.*}}sstep.vjp = {grads = array<i1: true>, reads = array<i1: false>, reads_result = true}
func.func @softmax(%x: tensor<1x5x?x?xf32>) -> tensor<1x5x?x?xf32> {
  %0 = sstep.softmax %x {axes = array<i64: 1>} : tensor<1x5x?x?xf32> loc("probs")
  %1 = sstep.log_softmax %0 {axes = array<i64: 1>} : tensor<1x5x?x?xf32> loc("logp")
  return %1 : tensor<1x5x?x?xf32>
}

// -----

// Instance normalisation left whole (its scale is no constant, or the
// stream pass did not run) needs the whole image.
// CHECK-LABEL: func.func @instance_norm
// CHECK-SAME: sstep.not_differentiable = "node 'norm' (sstep.instance_norm) needs the whole image
func.func @instance_norm(%x: tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32> {
  %s = arith.constant dense<1.0> : tensor<2xf32>
  %b = arith.constant dense<0.0> : tensor<2xf32>
  %0 = sstep.instance_norm %x, %s, %b : (tensor<1x2x?x?xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x?x?xf32> loc("norm")
  return %0 : tensor<1x2x?x?xf32>
}

// -----

// A product of two images is differentiable in both.
// CHECK-LABEL: func.func @gate
// CHECK: sstep.sigmoid {{.*}}sstep.vjp = {grads = array<i1: true>, reads = array<i1: true>, reads_result = false}
// CHECK: sstep.mul {{.*}}sstep.vjp = {grads = array<i1: true, true>, reads = array<i1: true, true>, reads_result = false}
func.func @gate(%x: tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32> {
  %0 = sstep.sigmoid %x : tensor<1x2x?x?xf32>
  %1 = sstep.mul %x, %0 : (tensor<1x2x?x?xf32>, tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
  return %1 : tensor<1x2x?x?xf32>
}

// -----

// Two inputs: not a trunk. The refusal is the function's.
// CHECK-LABEL: func.func @two_inputs
// CHECK-SAME: sstep.not_differentiable = "the backward pass takes a trunk of one input and one output; this model has 2 and 1"
func.func @two_inputs(%x: tensor<1x2x?x?xf32>, %y: tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32> {
  %0 = sstep.add %x, %y : (tensor<1x2x?x?xf32>, tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
  return %0 : tensor<1x2x?x?xf32>
}
