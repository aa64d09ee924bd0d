//===- NormOps.td - Normalisations of the sstep dialect ----*- tablegen -*-===//
//
// Ops that normalise over a set of axes. Over channels of an NCHW image they
// are pointwise in space (identity window rule); over H or W they read the
// whole axis and are non-local. `isNonLocal()` tells which, from `axes`.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_NORM_OPS_TD
#define SSTEP_NORM_OPS_TD

class SStep_SoftmaxBaseOp<string mnemonic, string formula>
    : SStep_Op<mnemonic, [Pure, SameOperandsAndResultType, SpatialOpInterface,
        DeclareOpInterfaceMethods<DifferentiableOpInterface,
            ["vjpReadsOperand", "vjpReadsResult"]>,
        DeclareOpInterfaceMethods<NonLocalOpInterface, ["isNonLocal"]>]> {
  let summary = "`" # formula # "` over `axes` (ONNX " # !if(
      !eq(mnemonic, "softmax"), "Softmax", "LogSoftmax") # ")";
  let description = [{
    Normalises jointly over the dimensions in `axes` (strictly increasing),
    independently for every index of the others. The maximum is subtracted
    before exponentiating and the sum is taken in fp64. ONNX opset 13 and
    later give one axis; before 13 the input is coerced to 2-D at `axis`,
    which is `axes` = [axis, ..., rank - 1].

    Over channels (`axes = [1]`) of an NCHW image it is pointwise in space;
    when `axes` holds 2 or 3 of an image it is non-local. Its gradient reads
    the result only: softmax's dx = y * (dy - sum(dy * y)), log softmax's
    dx = dy - exp(y) * sum(dy), sums over the same axes.

    ```mlir
    %y = sstep.}] # mnemonic # [{ %x {axes = array<i64: 1>}
        : tensor<1x19x?x?xf32>
    ```
  }];
  let arguments = (ins SStep_FloatTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs SStep_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
  let hasVerifier = 1;
}

def SStep_SoftmaxOp : SStep_SoftmaxBaseOp<"softmax",
    "exp(x - max) / sum(exp(x - max))">;
def SStep_LogSoftmaxOp : SStep_SoftmaxBaseOp<"log_softmax",
    "x - max - log(sum(exp(x - max)))">;

def SStep_InstanceNormOp : SStep_Op<"instance_norm", [Pure,
    AllTypesMatch<["input", "output"]>, NonLocalOpInterface]> {
  let summary = "Instance or group normalisation (ONNX InstanceNormalization, "
                "GroupNormalization)";
  let description = [{
    For every batch index and channel of an N x C x D1 x ... input, subtracts
    the mean over D1 x ... and divides by sqrt(variance + `epsilon`) (the
    biased variance, both in fp64), then applies the per-channel `scale` and
    `bias` (C entries each). With `groups` G > 0 the statistics cover each
    group of C / G consecutive channels instead of one channel (GroupNorm;
    G = C is instance norm, G = 1 normalises all channels together); scale
    and bias stay per channel. Non-local: the statistics cover all of H and
    W.

    ```mlir
    %y = sstep.instance_norm %x, %scale, %bias {epsilon = 1.0e-05 : f32,
                                                groups = 2 : i64}
        : (tensor<1x8x?x?xf32>, tensor<8xf32>, tensor<8xf32>)
        -> tensor<1x8x?x?xf32>
    ```
  }];
  let arguments = (ins SStep_FloatTensor:$input, SStep_FloatTensor1D:$scale,
                       SStep_FloatTensor1D:$bias,
                       DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon,
                       DefaultValuedAttr<I64Attr, "0">:$groups);
  let results = (outs SStep_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SStep_LayerNormOp : SStep_Op<"layer_norm", [Pure,
    AllTypesMatch<["input", "output"]>, SpatialOpInterface,
    DifferentiableOpInterface,
    DeclareOpInterfaceMethods<NonLocalOpInterface, ["isNonLocal"]>]> {
  let summary = "Layer normalisation over `axes` (ONNX LayerNormalization)";
  let description = [{
    For every index of the dimensions not in `axes` (strictly increasing),
    subtracts the mean over `axes` and divides by sqrt(variance + `epsilon`)
    (biased variance, fp64), then multiplies by `scale` and adds the optional
    `bias`, both broadcast unidirectionally to the input. ONNX's
    LayerNormalization at `axis` is `axes` = [axis, ..., rank - 1] with a
    scale of the normalised shape.

    Over channels alone (`axes = [1]` of NCHW, scale `Cx1x1`) it is
    pointwise in space; when `axes` holds 2 or 3 of an image it is
    non-local.

    ```mlir
    %y = sstep.layer_norm %x, %scale, %bias {axes = array<i64: 1>,
                                            epsilon = 1.0e-06 : f32}
        : (tensor<1x96x?x?xf32>, tensor<96x1x1xf32>, tensor<96x1x1xf32>)
        -> tensor<1x96x?x?xf32>
    ```
  }];
  let arguments = (ins SStep_FloatTensor:$input, SStep_FloatTensor:$scale,
                       Optional<SStep_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon);
  let results = (outs SStep_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SStep_NormStatsOp : SStep_Op<"norm_stats", [Pure, NonLocalOpInterface]> {
  let summary = "Mean and 1 / sqrt(variance + epsilon) over `axes`";
  let description = [{
    The statistics a layer norm over the same `axes` (strictly increasing)
    and `epsilon` uses, as ONNX LayerNormalization's optional Mean and
    InvStdDev outputs define them: the input's shape with the normalised
    dimensions set to 1, of any float type (ONNX's `stash_type`, float by
    default); fp64 sums, biased variance. Non-local.

    ```mlir
    %m, %r = sstep.norm_stats %x {axes = array<i64: 2, 3>,
                                  epsilon = 1.0e-05 : f32}
        : tensor<1x4x5x6xf32> -> (tensor<1x4x1x1xf32>, tensor<1x4x1x1xf32>)
    ```
  }];
  let arguments = (ins SStep_FloatTensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon);
  let results = (outs SStep_FloatTensor:$mean,
                      SStep_FloatTensor:$inv_std_dev);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` `(` type($mean) `,`
    type($inv_std_dev) `)`
  }];
  let hasVerifier = 1;
}

#endif // SSTEP_NORM_OPS_TD
