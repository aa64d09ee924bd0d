//===- GeometryOps.td - Ops that move pixels: pad, resize --*- tablegen -*-===//
//
// Ops whose output pixel reads input pixels at other positions, by a rule
// that is not a sliding window: padding shifts the image, resizing scales it.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_GEOMETRY_OPS_TD
#define SSTEP_GEOMETRY_OPS_TD

def SStep_Pad2DOp : SStep_Op<"pad2d", [
    Pure, DeclareOpInterfaceMethods<DifferentiableOpInterface, ["vjpReadsOperand"]>,
    DeclareOpInterfaceMethods<SpatialOpInterface,
        ["getAxisRule"]>]> {
  let summary = "Pads or crops the spatial axes of an NCHW image (ONNX Pad)";
  let description = [{
    Output pixel (y, x) is input pixel (y - top, x - left); `pads` are
    [top, left, bottom, right], negative entries crop. Where that position is
    outside the image, `mode` decides: "constant" reads `value`, "reflect"
    mirrors about the edge pixel (which is not repeated), "edge" repeats the
    edge pixel. Output size per axis: size + pad_begin + pad_end.

    Example (PyTorch's `F.pad(x, (1, 1, 2, 2), mode="reflect")`):
    ```mlir
    %y = sstep.pad2d %x {pads = array<i64: 2, 1, 2, 1>, mode = "reflect"}
        : tensor<1x3x?x?xf32> -> tensor<1x3x?x?xf32>
    ```
  }];
  let arguments = (ins
    SStep_FloatTensor4D:$input,
    DenseI64ArrayAttr:$pads,
    DefaultValuedAttr<StrAttr, "\"constant\"">:$mode,
    DefaultValuedAttr<F32Attr, "0.0f">:$value
  );
  let results = (outs SStep_FloatTensor4D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  // All-zero pads (exporters write them before pools) fold to the input.
  let hasFolder = 1;
}

def SStep_Resize2DOp : SStep_Op<"resize2d", [
    Pure,
    DeclareOpInterfaceMethods<DifferentiableOpInterface,
        ["isDifferentiableOperand", "vjpReadsOperand"]>,
    DeclareOpInterfaceMethods<SpatialOpInterface,
        ["isSpatialOperand", "getAxisRule"]>]> {
  let summary = "Resizes the spatial axes of an NCHW image (ONNX Resize, "
                "Upsample)";
  let description = [{
    Nearest or (bi)linear resampling of H and W. The output size comes from
    exactly one of: `scales` ([h, w]; size = floor(input size * scale)),
    `sizes` ([h, w], static), or the operand `like`, whose H and W times
    `like_scale` ([num_h, den_h, num_w, den_w]; size = floor(like * num /
    den)) give it: the form a Shape subgraph such as
    `F.interpolate(x, size=skip.shape[2:])` folds to, so the model keeps
    running on any image size. `like` contributes its shape only.

    Output pixel x maps to input coordinate c(x) by `coordinate_mode`, with
    scale s = `scales` when given, else output size / input size:
    half_pixel (x + 0.5) / s - 0.5; pytorch_half_pixel the same, or 0 for a
    1-pixel output; align_corners x * (in - 1) / (out - 1); asymmetric x / s;
    tf_half_pixel_for_nn (x + 0.5) / s. "nearest" rounds c by `nearest_mode`
    (round_prefer_floor, round_prefer_ceil, floor, ceil); "linear" blends the
    two neighbours. Coordinates past the image clamp to the edge pixel.

    Example (a U-Net decoder step to its skip's size):
    ```mlir
    %up = sstep.resize2d %x like %skip {mode = "linear",
                                        coordinate_mode = "half_pixel"}
        : (tensor<1x32x?x?xf32>, tensor<1x16x?x?xf32>) -> tensor<1x32x?x?xf32>
    ```
  }];
  let arguments = (ins
    SStep_FloatTensor4D:$input,
    Optional<SStep_FloatTensor4D>:$like,
    DefaultValuedAttr<StrAttr, "\"nearest\"">:$mode,
    DefaultValuedAttr<StrAttr, "\"half_pixel\"">:$coordinate_mode,
    DefaultValuedAttr<StrAttr, "\"round_prefer_floor\"">:$nearest_mode,
    OptionalAttr<DenseF64ArrayAttr>:$scales,
    OptionalAttr<DenseI64ArrayAttr>:$sizes,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1, 1, 1}">:$like_scale
  );
  let results = (outs SStep_FloatTensor4D:$output);
  let assemblyFormat = [{
    $input (`like` $like^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // SSTEP_GEOMETRY_OPS_TD
