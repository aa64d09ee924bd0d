//===- TensorOps.td - Data movement ops of sstep -----------*- tablegen -*-===//
//
// Ops that move elements without arithmetic. Concatenation along channels is
// pointwise in space; the rest may move pixels across H and W or into other
// dimensions and are non-local (see NonLocalOpInterface). Their result shapes
// follow ShapeRules.h, shared with the importer and the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TENSOR_OPS_TD
#define SSTEP_TENSOR_OPS_TD

def SStep_ConcatOp : SStep_Op<"concat", [Pure, SpatialOpInterface, DeclareOpInterfaceMethods<DifferentiableOpInterface, ["vjpReadsOperand"]>,
    DeclareOpInterfaceMethods<NonLocalOpInterface, ["isNonLocal"]>]> {
  let summary = "Concatenation along one axis (ONNX Concat)";
  let description = [{
    Joins `inputs` along `axis` (non-negative); every other dimension agrees.
    Along channels (axis 1) of NCHW images it is pointwise in space: each
    output pixel reads the same pixel of every input (the identity window
    rule, as a U-Net's skip concatenation). Along H or W (axis 2 or 3 of a
    4-D tensor) where an output pixel comes from depends on the inputs'
    sizes, so the op is non-local there.

    ```mlir
    %y = sstep.concat %a, %b {axis = 1 : i64}
        : (tensor<1x8x?x?xf32>, tensor<1x16x?x?xf32>) -> tensor<1x24x?x?xf32>
    ```
  }];
  let arguments = (ins Variadic<SStep_FloatTensor>:$inputs,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis);
  let results = (outs SStep_FloatTensor:$output);
  let assemblyFormat = [{
    $inputs attr-dict `:` functional-type($inputs, results)
  }];
  let hasVerifier = 1;
}

def SStep_FlattenOp : SStep_Op<"flatten", [Pure, NonLocalOpInterface]> {
  let summary = "Reshape to 2-D at an axis (ONNX Flatten)";
  let description = [{
    The dimensions before `axis` become the rows, the rest the columns:
    d0 x ... x d(axis-1) by d(axis) x ... x d(rank-1). Non-local: on an image
    it mixes all of H and W into one dimension (the head of a classifier,
    after a global pool).

    ```mlir
    %y = sstep.flatten %x {axis = 1 : i64}
        : tensor<1x1024x1x1xf32> -> tensor<1x1024xf32>
    ```
  }];
  let arguments = (ins SStep_FloatTensor:$input,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis);
  let results = (outs 2DTensorOf<[F32, F16, BF16]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def SStep_ReshapeOp : SStep_Op<"reshape", [Pure, NonLocalOpInterface]> {
  let summary = "Reshape to a constant target shape (ONNX Reshape)";
  let description = [{
    Keeps the elements in row-major order under a new shape. `shape` is
    ONNX's target: an entry 0 copies the input's dimension at that index
    (unless `allowzero`, where it means a dimension of 0), one entry -1 takes
    what the element count leaves. Both are resolved again at run time, so a
    reshape of a tensor with dynamic H and W keeps its exact meaning.
    Non-local.

    ```mlir
    %y = sstep.reshape %x {shape = array<i64: 0, 0, -1>}
        : tensor<1x8x?x?xf32> -> tensor<1x8x?xf32>
    ```
  }];
  let arguments = (ins SStep_FloatTensor:$input, DenseI64ArrayAttr:$shape,
                       DefaultValuedAttr<BoolAttr, "false">:$allowzero);
  let results = (outs SStep_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def SStep_ChannelShuffleOp : SStep_Op<"channel_shuffle", [Pure,
    SameOperandsAndResultType, SpatialOpInterface, DeclareOpInterfaceMethods<DifferentiableOpInterface, ["vjpReadsOperand"]>]> {
  let summary = "ShuffleNet's channel shuffle of an NCHW image";
  let description = [{
    With C channels in `groups` groups of C / groups, output channel
    `j * groups + i` is input channel `i * (C / groups) + j`: the channels
    of each group dealt out in turn. Exporters write it as Reshape to
    N x groups x C/groups x H x W, Transpose [0, 2, 1, 3, 4], Reshape back;
    the importer recognises that. A pure data movement, so exact, and
    pointwise in space (each output pixel reads the same input pixel).

    ```mlir
    %y = sstep.channel_shuffle %x {groups = 2 : i64} : tensor<1x4x?x?xf32>
    ```
  }];
  let arguments = (ins SStep_FloatTensor4D:$input,
                       ConfinedAttr<I64Attr, [IntPositive]>:$groups);
  let results = (outs SStep_FloatTensor4D:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
  let hasVerifier = 1;
}

def SStep_SliceOp : SStep_Op<"slice", [Pure, SpatialOpInterface, DeclareOpInterfaceMethods<DifferentiableOpInterface, ["vjpReadsOperand"]>,
    DeclareOpInterfaceMethods<NonLocalOpInterface, ["isNonLocal"]>]> {
  let summary = "Strided slice with constant bounds (ONNX Slice)";
  let description = [{
    Along each of `axes` (non-negative, distinct), takes every `steps`-th
    element from `starts` up to `ends` (exclusive), with ONNX's rules:
    negative indices count from the end and bounds clamp to the dimension,
    resolved again at run time when the size is dynamic. Along channels
    alone of an NCHW image (`x.chunk(2, dim=1)`) it is pointwise in space;
    a slice that cuts H or W is non-local, except that canonicalization
    makes a crop by constant margins (a non-negative start and a negative
    end, step 1, as HoVer-Net crops its skips) a `pad2d` with negative pads,
    which is local.

    ```mlir
    %y = sstep.slice %x {axes = array<i64: 1>, ends = array<i64: 58>,
                         starts = array<i64: 0>, steps = array<i64: 1>}
        : tensor<1x116x?x?xf32> -> tensor<1x58x?x?xf32>
    ```
  }];
  let arguments = (ins SStep_FloatTensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$axes,
                       DenseI64ArrayAttr:$steps);
  let results = (outs SStep_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def SStep_TransposeOp : SStep_Op<"transpose", [Pure, NonLocalOpInterface]> {
  let summary = "Permutation of dimensions (ONNX Transpose)";
  let description = [{
    Result dimension i is input dimension `perm[i]`. Non-local: the window
    rules know H and W only in their NCHW places (NCHW to NHWC and back
    around a layer norm over channels is the common case).

    ```mlir
    %y = sstep.transpose %x {perm = array<i64: 0, 2, 3, 1>}
        : tensor<1x8x?x?xf32> -> tensor<1x?x?x8xf32>
    ```
  }];
  let arguments = (ins SStep_FloatTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs SStep_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

#endif // SSTEP_TENSOR_OPS_TD
