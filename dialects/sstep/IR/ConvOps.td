//===- ConvOps.td - Convolutions of the sstep dialect ------*- tablegen -*-===//

#ifndef SSTEP_CONV_OPS_TD
#define SSTEP_CONV_OPS_TD

def SStep_Conv2DOp : SStep_Op<"conv2d", [
    Pure, DeclareOpInterfaceMethods<DifferentiableOpInterface, ["vjpReadsOperand"]>,
    DeclareOpInterfaceMethods<SpatialOpInterface,
        ["isSpatialOperand", "getAxisRule"]>]> {
  let summary = "2-D convolution over an NCHW image (ONNX Conv)";
  let description = [{
    Cross-correlation of `input` (N x C x H x W) with `weight`
    (F x C/groups x kH x kW), plus an optional per-filter `bias` (F). Attributes
    follow ONNX: `strides` and `dilations` are [h, w]; `pads` are
    [top, left, bottom, right] and may be asymmetric; `groups` divides both C
    and F (groups == C == F is a depthwise convolution). Padding reads zeros.

    Output size per axis: floor((size + pad_begin + pad_end - d*(k-1) - 1) / s) + 1.

    Example:

    ```mlir
    %y = sstep.conv2d %x, %w, %b {strides = array<i64: 2, 2>,
                                   pads = array<i64: 3, 3, 3, 3>}
        : (tensor<1x3x?x?xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>)
        -> tensor<1x64x?x?xf32>
    ```
  }];

  let arguments = (ins
    SStep_FloatTensor4D:$input,
    SStep_FloatTensor4D:$weight,
    Optional<SStep_FloatTensor1D>:$bias,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
    DefaultValuedAttr<ConfinedAttr<I64Attr, [IntPositive]>, "1">:$groups
  );
  let results = (outs SStep_FloatTensor4D:$output);

  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];

  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// The sliding-window geometry along spatial axis `axis` (0 = H, 1 = W).
    ::sstep::WindowAxis getWindowAxis(unsigned axis);
  }];
}

def SStep_ConvTranspose2DOp : SStep_Op<"conv_transpose2d", [
    Pure, DeclareOpInterfaceMethods<DifferentiableOpInterface, ["vjpReadsOperand"]>,
    DeclareOpInterfaceMethods<SpatialOpInterface,
        ["isSpatialOperand", "getAxisRule"]>]> {
  let summary = "2-D transposed convolution over an NCHW image (ONNX "
                "ConvTranspose)";
  let description = [{
    The gradient of `sstep.conv2d` with respect to its input: every input
    pixel scatters `weight` (C x F/groups x kH x kW, ONNX's layout) into the
    output at stride `strides`, plus an optional per-filter `bias` (F).
    `pads` ([top, left, bottom, right]) crop the full result; `output_padding`
    ([h, w], each below the stride or the dilation) adds pixels at the bottom
    and right. Output size per axis:
    (size - 1)*s - pad_begin - pad_end + d*(k-1) + 1 + output_padding.
    Output interval [a, b] reads inputs [ceil((a + p - d*(k-1))/s),
    floor((b + p)/s)]; nothing outside the image contributes (zero border).

    Example (a U-Net up-step doubling the resolution):
    ```mlir
    %y = sstep.conv_transpose2d %x, %w, %b {strides = array<i64: 2, 2>}
        : (tensor<1x16x?x?xf32>, tensor<16x8x2x2xf32>, tensor<8xf32>)
        -> tensor<1x8x?x?xf32>
    ```
  }];
  let arguments = (ins
    SStep_FloatTensor4D:$input,
    SStep_FloatTensor4D:$weight,
    Optional<SStep_FloatTensor1D>:$bias,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$output_padding,
    DefaultValuedAttr<ConfinedAttr<I64Attr, [IntPositive]>, "1">:$groups
  );
  let results = (outs SStep_FloatTensor4D:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The geometry along spatial axis `axis` (0 = H, 1 = W), in the terms of
    /// the convolution this op transposes.
    ::sstep::WindowAxis getWindowAxis(unsigned axis);
  }];
}

#endif // SSTEP_CONV_OPS_TD
