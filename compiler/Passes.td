//===- Passes.td - SSTEP compiler passes --------------------*- tablegen -*-===//

#ifndef SSTEP_COMPILER_PASSES_TD
#define SSTEP_COMPILER_PASSES_TD

include "mlir/Pass/PassBase.td"

def ReceptiveField : Pass<"sstep-receptive-field", "::mlir::func::FuncOp"> {
  let summary = "Annotate spatial ops with their receptive field on the image inputs";
  let description = [{
    Composes the window rules of the `SpatialOpInterface` from each function
    argument (an image) forward through the network, and attaches to every
    spatial op the affine map from its output pixels to the argument's pixels:
    output interval `[a, b]` reads input interval
    `[stride * a - before, stride * b + after]`, and one output pixel sees
    `size = before + after + 1` input pixels. Where a value reaches an op
    through several paths (skip connections), the union of the windows is
    taken. This is the halo a tile of that op's output needs around it.

    Example, a ResNet stem (7x7 stride 2 pad 3, then 3x3 stride 1 pad 1):

    ```mlir
    %0 = sstep.conv2d %x, %w0 {pads = array<i64: 3, 3, 3, 3>,
                               strides = array<i64: 2, 2>} : ...
    %1 = sstep.conv2d %0, %w1 {pads = array<i64: 1, 1, 1, 1>} : ...
    ```

    becomes (each op gets one entry per image argument it depends on)

    ```mlir
    %0 = sstep.conv2d ... {sstep.receptive_field = [{after = array<i64: 3, 3>,
        before = array<i64: 3, 3>, input = 0 : i64, size = array<i64: 7, 7>,
        stride = array<i64: 2, 2>} ]}
    %1 = sstep.conv2d ... {sstep.receptive_field = [{after = array<i64: 5, 5>,
        before = array<i64: 5, 5>, input = 0 : i64, size = array<i64: 11, 11>,
        stride = array<i64: 2, 2>} ]}
    ```

    An op whose window rule is not affine in the output position (such as a
    non-integer resize) is reported with a remark and not annotated; the
    partitioner, which composes concrete intervals, handles those. A
    non-local op (`NonLocalOpInterface`: a global pool, a softmax over H) has
    no window rule; the field ends there, so neither it nor what it feeds is
    annotated through it. Nor is anything reading an unannotated op's result
    (a resize's), since its field would be understated.
  }];
  let dependentDialects = ["::sstep::SStepDialect"];
}

def SinkTransposes : Pass<"sstep-sink-transposes", "::mlir::func::FuncOp"> {
  let summary = "Turn channels-last blocks between transposes into channel ops on NCHW";
  let description = [{
    Exporters write channel-wise layers in channels-last form (ConvNeXt's
    `permute -> LayerNorm -> Linear -> GELU -> Linear -> permute`, a
    channels-first LayerNorm as `Transpose -> LayerNormalization ->
    Transpose`). Transposes are non-local, so each would end a tile group.
    This pass moves every transpose below the ops it can pass (pointwise
    ops, add/sub/mul/div by a constant or by the same transpose of another
    value, layer_norm/softmax with constant scale and bias, a matmul by a
    constant matrix after the channels-last permutation, which becomes a 1x1
    convolution) until it meets its inverse and both vanish.

    ```mlir
    %t = sstep.transpose %x {perm = array<i64: 0, 2, 3, 1>}
        : tensor<1x8x?x?xf32> -> tensor<1x?x?x8xf32>
    %n = sstep.layer_norm %t, %s {axes = array<i64: 3>}
        : (tensor<1x?x?x8xf32>, tensor<8xf32>) -> tensor<1x?x?x8xf32>
    %y = sstep.transpose %n {perm = array<i64: 0, 3, 1, 2>}
        : tensor<1x?x?x8xf32> -> tensor<1x8x?x?xf32>
    ```

    becomes a layer norm over the channels of NCHW, which is pointwise in
    space:

    ```mlir
    %y = sstep.layer_norm %x, %s2 {axes = array<i64: 1>}
        : (tensor<1x8x?x?xf32>, tensor<8x1x1xf32>) -> tensor<1x8x?x?xf32>
    ```

    The importer runs the same rewrites, so `sstep-import` prints the clean
    form; this pass serves IR written by hand or by other tools.
  }];
  let dependentDialects = ["::sstep::SStepDialect",
                           "::mlir::arith::ArithDialect"];
}

def StreamInstanceNorm : Pass<"sstep-stream-instance-norm", "::mlir::func::FuncOp"> {
  let summary = "Write instance and group norms as tile reductions and pointwise ops";
  let description = [{
    An instance norm (GroupNorm, as the importer writes it) needs the mean
    and variance of all of H and W, so as one op it is non-local and runs on
    the whole image in memory: on a slide, an image as large as the slide.
    This pass writes it as the reference computes it, in three passes over
    tiles: the mean (a global average pool, which tiles reduce in fp64),
    the mean squared deviation from it (two-pass, no cancellation), then the
    normalised, scaled and shifted output. Group statistics average the
    channels' means with a constant 1 x 1 convolution (a global op on
    N x C x 1 x 1) and spread them back to the channels the same way. The
    images between passes are stored values, which may live on disk
    (`--store`), so memory stays bounded whatever the image size.

    ```mlir
    %y = sstep.instance_norm %x, %s, %b {epsilon = 1.0e-05 : f32}
        : (tensor<1x8x?x?xf32>, tensor<8xf32>, tensor<8xf32>)
        -> tensor<1x8x?x?xf32>
    ```

    becomes

    ```mlir
    %m = sstep.global_avg_pool2d %x : tensor<1x8x?x?xf32> -> tensor<1x8x1x1xf32>
    %d = sstep.sub %x, %m : (tensor<1x8x?x?xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x?x?xf32>
    %q = sstep.mul %d, %d : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
    %v = sstep.global_avg_pool2d %q : tensor<1x8x?x?xf32> -> tensor<1x8x1x1xf32>
    %e = sstep.add %v, %eps : (tensor<1x8x1x1xf32>, tensor<f32>) -> tensor<1x8x1x1xf32>
    %r = sstep.sqrt %e : tensor<1x8x1x1xf32>
    %g = sstep.div %s3, %r : (tensor<8x1x1xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x1x1xf32>
    %c = sstep.sub %x, %m : (tensor<1x8x?x?xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x?x?xf32>
    %n = sstep.mul %c, %g : (tensor<1x8x?x?xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x?x?xf32>
    %y = sstep.add %n, %b3 : (tensor<1x8x?x?xf32>, tensor<8x1x1xf32>) -> tensor<1x8x?x?xf32>
    ```

    `x - mean` appears twice: the partitioner computes the second in the
    last pass, so x is the one image kept between passes. A bias of zeros
    (PyTorch's GroupNorm export, which applies its affine map after) adds
    nothing. Norms of other ranks, of unknown channels, or with scale or
    bias that are not constants stay as they are.
  }];
  let dependentDialects = ["::sstep::SStepDialect",
                           "::mlir::arith::ArithDialect"];
}

def Partition : Pass<"sstep-partition", "::mlir::ModuleOp"> {
  let summary = "Split the network into tile groups bounded by non-local ops";
  let description = [{
    Gives every op a role and a stage, the structure of the tiled program:

    - `tile`: a spatially local op (it has a window rule) reading an image
      computed from the input. Ops of stage N run tile by tile together, the
      tile group N; each value's window is inferred backwards from the tile at
      run time, when the image size is known.
    - `reduce`: a non-local op whose result combines per-tile partial results
      (`getTileReduction`: a global average pool sums and counts, a global max
      pool takes maxima). It reads the tiles of stage N; its result is ready
      for stage N + 1.
    - `whole`: any other non-local op on an image (instance normalisation, a
      softmax over H, a flatten of a feature map). It runs once, after stage
      N, on its whole materialised operands; its result is ready for stage
      N + 1.
    - `global`: an op reading no image at all (the layers of a head after
      global pooling, a squeeze-and-excitation block's bottleneck). It runs
      once, before stage N's tiles.

    An op's stage is the latest stage at which all of its operands are ready,
    so an op waits for a reduction only when it reads the reduction's result.
    An image value that a later stage, a `whole` op or the function's result
    reads is materialised: its producer gets `sstep.materialize`. The function
    gets `sstep.stages`: one more than the last stage holding a tile op (a
    stage may hold no tiles, only global or whole ops). A pointwise tile op
    that reads one image, from an earlier stage (stored anyway), and whose
    readers all run later moves to its first reader's stage, so its result
    is computed where it is read and never stored.

    Example, a squeeze-and-excitation block:

    ```mlir
    %0 = sstep.conv2d %x, %w ...                  // tile, stage 0, materialise
    %1 = sstep.global_avg_pool2d %0 ...           // reduce, stage 0
    %2 = sstep.conv2d %1, %w1 ...                 // global, stage 1
    %3 = sstep.sigmoid %2 ...                     // global, stage 1
    %4 = sstep.mul %0, %3 ...                     // tile, stage 1
    ```

    With `image=H,W` (and `tile=N`, an edge in input pixels) the pass also
    reports the plan of `@main` at that size, as the runtime would run it:
    the function gets `sstep.grids` (tiles per stage), `sstep.tile` and
    `sstep.memory` (predicted tile working set, weights and stored bytes);
    each tiled op gets, for a sample tile (the second along each axis, so an
    interior one on grids of three or more), `sstep.window` (the block of its
    result the tile computes, [top, left, bottom, right] inclusive),
    `sstep.halo` (how far that block reaches beyond the tile's share of the
    result) and `sstep.border` (how far its consumers' needs reach past the
    image).
  }];
  let options = [
    ListOption<"image", "image", "int64_t",
               "H,W: an image size at which to report the plan">,
    Option<"tile", "tile", "int64_t", /*default=*/"0",
           "Tile edge in input pixels for the report (0: one tile)">,
  ];
  let dependentDialects = ["::sstep::SStepDialect"];
}

def Recompute : Pass<"sstep-recompute", "::mlir::ModuleOp"> {
  let summary = "Compute cheap stored images again where later stages read them";
  let description = [{
    Runs after `sstep-partition`. An image that tiles of stage P compute and
    tiles of a later stage Q read is stored between the stages: written once
    (to memory or a scratch file, see docs/memory.md) and read back by Q's
    tiles. Instead, Q can compute it again from the values it can read
    anyway: the input, constants, results of reductions and of earlier
    stages, and images stored for other readers. The pass walks back from
    the stored image through the tile ops of stage P that are not stored
    (at most 24) and clones that chain into each later stage that reads the
    image, just before its first reader there; those readers read the clone.
    The clones get `sstep.recomputed`; originals left without users go, and
    materialisation is marked again.

    The cost model compares, per input pixel, the multiply-adds the clones
    take (a convolution's weights per output pixel, other ops an element
    times their window's area, at the image's scale, once per reading
    stage) with the bytes storing the image costs (four per element,
    written once and read once). With `policy=auto` the chain is cloned
    when its multiply-adds are at most `macs-per-byte` times those bytes;
    reading the function's image argument again counts 256 multiply-adds a
    pixel (the input may be a slide, whose pixels are decoded again).
    `always` clones every chain it can, `never` none. An image a `whole`
    op, a global op or the function's result reads stays stored.

    Example, a squeeze-and-excitation block whose input `%x` (computed in
    stage 0) is kept anyway: the residual reads it in stage 1.

    ```mlir
    %0 = sstep.conv2d %x, %w1 ...       // tile, stage 0 (1x1, 16 -> 96)
    %1 = sstep.relu %0 ...              // tile, stage 0, stored for %4
    %2 = sstep.global_avg_pool2d %1 ... // reduce, stage 0
    %4 = sstep.mul %1, %3 ...           // tile, stage 1
    %5 = sstep.add %4, %x ...           // tile, stage 1
    ```

    becomes, since 1,632 multiply-adds a pixel cost less than 16 times the
    768 bytes of `%1` written and read:

    ```mlir
    %0 = sstep.conv2d %x, %w1 ...       // tile, stage 0
    %1 = sstep.relu %0 ...              // tile, stage 0, not stored
    %2 = sstep.global_avg_pool2d %1 ... // reduce, stage 0
    %6 = sstep.conv2d %x, %w1 ... {sstep.recomputed}   // tile, stage 1
    %7 = sstep.relu %6 ... {sstep.recomputed}          // tile, stage 1
    %4 = sstep.mul %7, %3 ...           // tile, stage 1
    %5 = sstep.add %4, %x ...           // tile, stage 1
    ```
  }];
  let options = [
    Option<"policy", "policy", "std::string", /*default=*/"\"auto\"",
           "auto (by the cost model), always or never">,
    Option<"macsPerByte", "macs-per-byte", "double", /*default=*/"16.0",
           "Multiply-adds recomputed that one stored byte is worth">,
  ];
  let dependentDialects = ["::sstep::SStepDialect"];
}

def Differentiate : Pass<"sstep-differentiate", "::mlir::ModuleOp"> {
  let summary = "Give every op of a trunk its vector-Jacobian product";
  let description = [{
    Runs after `sstep-partition`. A function is a trunk the tiled backward
    pass can train when it maps one image to one image through tile ops,
    means or sums over the whole image between stages (a squeeze-and-
    excitation's pool, a streamed GroupNorm's statistics), and global ops
    on their small results, each with a gradient rule
    (`DifferentiableOpInterface`), whose operands other than images are
    constants (the parameters), small values computed from the image, or
    contribute their shape only. The backward pass runs the stages in
    reverse: a reduction's gradient is spread over the image its tiles
    read, and the gradient of an image a later stage read is summed whole
    before its own stage's tiles run. For such a function every op gets
    `sstep.vjp`: which operands receive a gradient (`grads`), which operands'
    forward values the product reads (`reads`) and whether it reads its
    result (`reads_result`). The function gets `sstep.differentiable`. The
    runtime's backward pass (runtime/train) runs the products in reverse
    order over each tile's windows and keeps, from each tile's forward pass,
    only the values some product reads.

    Example, a residual block's tail:

    ```mlir
    %1 = sstep.conv2d %0, %w, %b {...}
    %2 = sstep.add %1, %x
    %3 = sstep.relu %2
    ```

    becomes

    ```mlir
    %1 = sstep.conv2d %0, %w, %b {..., sstep.vjp = {grads = array<i1: true,
        true, true>, reads = array<i1: true, true, false>,
        reads_result = false}}
    %2 = sstep.add %1, %x {..., sstep.vjp = {grads = array<i1: true, true>,
        reads = array<i1: false, false>, reads_result = false}}
    %3 = sstep.relu %2 {..., sstep.vjp = {grads = array<i1: true>,
        reads = array<i1: false>, reads_result = true}}
    ```

    so the backward pass keeps `%0` and `%3` of each tile and frees `%1` and
    `%2` as soon as their consumers have run forward.

    Any other function is still compiled for inference: it gets
    `sstep.not_differentiable` with the first reason, naming the node and the
    op ("node 'norm' (sstep.instance_norm) needs the whole image"), which
    the backward pass reports when asked to
    train it. With `require`, that reason is an error instead.
  }];
  let options = [
    Option<"require", "require", "bool", /*default=*/"false",
           "Fail on a function that is not a differentiable trunk">,
  ];
  let dependentDialects = ["::sstep::SStepDialect"];
}

#endif // SSTEP_COMPILER_PASSES_TD
