//===- MatrixOps.td - Matrix products of the sstep dialect -*- tablegen -*-===//
//
// The fully connected heads of classifiers. Both ops are non-local: on image
// features they follow a flatten or a global pool, which end a tile group.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_MATRIX_OPS_TD
#define SSTEP_MATRIX_OPS_TD

def SStep_GemmOp : SStep_Op<"gemm", [Pure, NonLocalOpInterface]> {
  let summary = "General matrix product (ONNX Gemm)";
  let description = [{
    `alpha * op(a) * op(b) + beta * c`, where op transposes when `transA` /
    `transB` is set, op(a) is M x K, op(b) K x N and the optional `c`
    broadcasts unidirectionally to M x N (a bias of N entries is the usual
    case). Products accumulate in fp64.

    ```mlir
    %y = sstep.gemm %x, %w, %b {transB = true}
        : (tensor<1x1024xf32>, tensor<1000x1024xf32>, tensor<1000xf32>)
        -> tensor<1x1000xf32>
    ```
  }];
  let arguments = (ins
    2DTensorOf<[F32, F16, BF16]>:$a,
    2DTensorOf<[F32, F16, BF16]>:$b,
    Optional<SStep_FloatTensor>:$c,
    DefaultValuedAttr<F32Attr, "1.0f">:$alpha,
    DefaultValuedAttr<F32Attr, "1.0f">:$beta,
    DefaultValuedAttr<BoolAttr, "false">:$transA,
    DefaultValuedAttr<BoolAttr, "false">:$transB
  );
  let results = (outs 2DTensorOf<[F32, F16, BF16]>:$output);
  let assemblyFormat = [{
    $a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SStep_MatMulOp : SStep_Op<"matmul", [Pure, NonLocalOpInterface]> {
  let summary = "Matrix product with NumPy semantics (ONNX MatMul)";
  let description = [{
    The product of the last two dimensions, batched over the leading ones,
    which broadcast as in NumPy. A 1-D `lhs` is a row vector and a 1-D `rhs`
    a column vector; their extra dimension is dropped from the result.
    Products accumulate in fp64.

    ```mlir
    %y = sstep.matmul %a, %b
        : (tensor<2x1x4x8xf32>, tensor<3x8x5xf32>) -> tensor<2x3x4x5xf32>
    ```
  }];
  let arguments = (ins SStep_FloatTensor:$lhs, SStep_FloatTensor:$rhs);
  let results = (outs SStep_FloatTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // SSTEP_MATRIX_OPS_TD
