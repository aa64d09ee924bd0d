//===- PoolOps.td - Pooling ops of the sstep dialect -------*- tablegen -*-===//

#ifndef SSTEP_POOL_OPS_TD
#define SSTEP_POOL_OPS_TD

// A sliding-window pool over each channel of an NCHW image. `kernel`,
// `strides` and `dilations` are [h, w]; `pads` are [top, left, bottom, right].
class SStep_Pool2DOp<string mnemonic, dag extraArgs = (ins),
                     Trait gradient = DifferentiableOpInterface>
    : SStep_Op<mnemonic, [Pure, gradient,
        DeclareOpInterfaceMethods<SpatialOpInterface,
          ["isSpatialOperand", "getAxisRule"]>]> {
  let arguments = !con((ins
    SStep_FloatTensor4D:$input,
    DenseI64ArrayAttr:$kernel,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
    DefaultValuedAttr<BoolAttr, "false">:$ceil_mode), extraArgs);
  let results = (outs SStep_FloatTensor4D:$output);

  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($output)
  }];

  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// The sliding-window geometry along spatial axis `axis` (0 = H, 1 = W).
    ::sstep::WindowAxis getWindowAxis(unsigned axis);
  }];
}

def SStep_MaxPool2DOp : SStep_Pool2DOp<"max_pool2d"> {
  let summary = "Max pooling (ONNX MaxPool)";
  let description = [{
    The maximum over each window. Padding and, in `ceil_mode`, the part of a
    last window past the trailing pad read minus infinity, so they never win.

    ```mlir
    %y = sstep.max_pool2d %x {kernel = array<i64: 3, 3>,
                              strides = array<i64: 2, 2>,
                              pads = array<i64: 1, 1, 1, 1>}
        : tensor<1x64x?x?xf32> -> tensor<1x64x?x?xf32>
    ```
  }];
}

def SStep_AvgPool2DOp : SStep_Pool2DOp<"avg_pool2d",
    (ins DefaultValuedAttr<BoolAttr, "false">:$count_include_pad),
    DeclareOpInterfaceMethods<DifferentiableOpInterface, ["vjpReadsOperand"]>> {
  let summary = "Average pooling (ONNX AveragePool)";
  let description = [{
    The mean over each window. Without `count_include_pad`, pixels outside the
    image are excluded from both sum and divisor; with it, padding counts as
    zeros in the divisor, but (as in ONNX and PyTorch) the part of a
    `ceil_mode` window past the trailing pad is still excluded. Dilation is
    not allowed (ONNX AveragePool has none before opset 19).

    ```mlir
    %y = sstep.avg_pool2d %x {kernel = array<i64: 2, 2>,
                              strides = array<i64: 2, 2>}
        : tensor<1x64x?x?xf32> -> tensor<1x64x?x?xf32>
    ```
  }];
}

// A pool over the whole of H and W: non-local, it bounds a tile group.
class SStep_GlobalPool2DOp<string mnemonic, list<Trait> traits = []>
    : SStep_Op<mnemonic, !listconcat([Pure,
        DeclareOpInterfaceMethods<NonLocalOpInterface, ["getTileReduction"]>],
        traits)> {
  let arguments = (ins SStep_FloatTensor4D:$input);
  let results = (outs SStep_FloatTensor4D:$output);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

def SStep_GlobalAvgPool2DOp : SStep_GlobalPool2DOp<"global_avg_pool2d",
    [DeclareOpInterfaceMethods<DifferentiableOpInterface, ["vjpReadsOperand"]>]> {
  let summary = "Mean over all of H and W (ONNX GlobalAveragePool)";
  let description = [{
    N x C x H x W to N x C x 1 x 1: the mean of each channel's plane, summed
    in fp64. Also what ONNX `ReduceMean` over axes [2, 3] with `keepdims`
    imports as (squeeze-and-excitation blocks). Non-local: tiled execution
    sums per tile and divides once all tiles are in. Its gradient spreads
    each channel's over the plane, divided by its pixels: it reads nothing.

    ```mlir
    %y = sstep.global_avg_pool2d %x
        : tensor<1x64x?x?xf32> -> tensor<1x64x1x1xf32>
    ```
  }];
}

def SStep_GlobalMaxPool2DOp : SStep_GlobalPool2DOp<"global_max_pool2d",
    [DeclareOpInterfaceMethods<DifferentiableOpInterface, ["vjpReadsResult"]>]> {
  let summary = "Maximum over all of H and W (ONNX GlobalMaxPool)";
  let description = [{
    N x C x H x W to N x C x 1 x 1: the maximum of each channel's plane (NaN
    wins, as in PyTorch). Also what ONNX `ReduceMax` over axes [2, 3] with
    `keepdims` imports as. Non-local: tiled execution takes the maximum of
    per-tile maxima. Its gradient goes to one pixel a plane, as PyTorch's
    `adaptive_max_pool2d` sends it: the first maximum in row-major order
    (the last NaN, if any); it reads the input and the result. With
    `split_ties` (ONNX `ReduceMax`, PyTorch's `amax`) the gradient is split
    evenly among tied maxima instead.

    ```mlir
    %y = sstep.global_max_pool2d %x
        : tensor<1x64x?x?xf32> -> tensor<1x64x1x1xf32>
    ```
  }];
  let arguments = (ins SStep_FloatTensor4D:$input, UnitAttr:$split_ties);
}

def SStep_ReduceOp : SStep_Op<"reduce", [Pure, SpatialOpInterface,
    DeclareOpInterfaceMethods<DifferentiableOpInterface,
        ["vjpReadsOperand", "vjpReadsResult"]>,
    DeclareOpInterfaceMethods<NonLocalOpInterface,
        ["isNonLocal", "getTileReduction"]>]> {
  let summary = "Mean, sum, maximum or minimum over `axes` (ONNX Reduce*)";
  let description = [{
    Reduces over `axes` (non-negative, distinct): `kind` is `mean` or `sum`
    (fp64 sums), `max` or `min` (NaN wins, as in PyTorch). With `keepdims`
    the reduced dimensions stay as 1, else they go. Over channels alone of
    an NCHW image with `keepdims` (CBAM's `x.mean(1, keepdim=True)`) it is
    pointwise in space; any other reduction of an image is non-local. The
    reduction over H and W with `keepdims` imports as a global pool instead;
    a sum or maximum over them (ConvNeXt-V2's GRN squares and sums) stays a
    reduce, which tiles reduce piecewise too. Over channels its gradient
    goes to every channel (sum, mean) or to the extreme ones, split evenly
    among ties as PyTorch's amax and amin split it (max, min, which read the
    input and the result).

    ```mlir
    %y = sstep.reduce %x {axes = array<i64: 1>, keepdims = true,
                          kind = "max"}
        : tensor<1x64x?x?xf32> -> tensor<1x1x?x?xf32>
    ```
  }];
  let arguments = (ins SStep_FloatTensor:$input, StrAttr:$kind,
                       DenseI64ArrayAttr:$axes, BoolAttr:$keepdims);
  let results = (outs SStep_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

#endif // SSTEP_POOL_OPS_TD
