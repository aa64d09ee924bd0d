//===- PointwiseOps.td - Pointwise ops of the sstep dialect -*- tablegen -*-===//
//
// Pointwise ops read each operand at the output pixel: the spatial op
// interface's default rule (identity, nothing read outside the image).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_POINTWISE_OPS_TD
#define SSTEP_POINTWISE_OPS_TD

class SStep_UnaryOp<string mnemonic, string formula, dag attrs = (ins),
                    Trait gradient = DifferentiableOpInterface>
    : SStep_Op<mnemonic, [Pure, SameOperandsAndResultType, SpatialOpInterface,
                          gradient]> {
  let summary = "Pointwise `" # formula # "`";
  let description = [{
    Applies the function to every element.

    ```mlir
    %y = sstep.}] # mnemonic # [{ %x : tensor<1x64x?x?xf32>
    ```
  }];
  let arguments = !con((ins SStep_FloatTensor:$input), attrs);
  let results = (outs SStep_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
}

def SStep_ReluOp : SStep_UnaryOp<"relu", "max(x, 0)", (ins),
    DeclareOpInterfaceMethods<DifferentiableOpInterface,
        ["vjpReadsOperand", "vjpReadsResult"]>>;
def SStep_SigmoidOp : SStep_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def SStep_TanhOp : SStep_UnaryOp<"tanh", "tanh(x)">;
def SStep_ErfOp : SStep_UnaryOp<"erf", "erf(x)">;
def SStep_ExpOp : SStep_UnaryOp<"exp", "exp(x)">;
def SStep_SqrtOp : SStep_UnaryOp<"sqrt", "sqrt(x)">;
def SStep_LogOp : SStep_UnaryOp<"log", "log(x), the natural logarithm">;
def SStep_AbsOp : SStep_UnaryOp<"abs", "|x|">;
def SStep_NegOp : SStep_UnaryOp<"neg", "-x">;
def SStep_HardSwishOp : SStep_UnaryOp<"hard_swish", "x * max(0, min(1, x / 6 + 1 / 2))">;
def SStep_GeluOp : SStep_UnaryOp<"gelu", "x * (1 + erf(x / sqrt(2))) / 2">;
def SStep_SiluOp : SStep_UnaryOp<"silu", "x / (1 + exp(-x)), x * sigmoid(x)">;
def SStep_LeakyReluOp : SStep_UnaryOp<"leaky_relu", "x < 0 ? alpha * x : x",
    (ins DefaultValuedAttr<F32Attr, "0.01f">:$alpha)>;
def SStep_HardSigmoidOp : SStep_UnaryOp<"hard_sigmoid",
    "max(0, min(1, alpha * x + beta))",
    (ins DefaultValuedAttr<F32Attr, "0.2f">:$alpha,
         DefaultValuedAttr<F32Attr, "0.5f">:$beta)>;
def SStep_PowOp : SStep_UnaryOp<"pow", "x ^ exponent",
    (ins F32Attr:$exponent)>;
def SStep_ClipOp : SStep_UnaryOp<"clip", "min(max(x, min), max)",
    (ins F32Attr:$min, F32Attr:$max)> {
  let hasVerifier = 1;
}

class SStep_BinaryOp<string mnemonic, string formula,
                     Trait gradient = DifferentiableOpInterface,
                     list<Trait> extra = []>
    : SStep_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultElementType,
                          ResultsBroadcastableShape, SpatialOpInterface,
                          gradient], extra)> {
  let summary = "Pointwise `" # formula # "` with NumPy broadcasting (ONNX)";
  let description = [{
    Operands broadcast as in NumPy: shapes align at the last dimension and a
    dimension of 1 stretches. A per-channel constant `tensor<Cx1x1xf32>` or
    `tensor<1xCx1x1xf32>` is broadcast over space and is not a spatial operand.

    ```mlir
    %y = sstep.}] # mnemonic # [{ %a, %b
        : (tensor<1x64x?x?xf32>, tensor<64x1x1xf32>) -> tensor<1x64x?x?xf32>
    ```
  }];
  let arguments = (ins SStep_FloatTensor:$lhs, SStep_FloatTensor:$rhs);
  let results = (outs SStep_FloatTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

// Add and mul are commutative: folding moves a constant operand to the
// right, where the backends look for a per-channel bias or scale to fuse.
def SStep_AddOp : SStep_BinaryOp<"add", "lhs + rhs", DeclareOpInterfaceMethods<DifferentiableOpInterface, ["vjpReadsOperand"]>, [Commutative]>;
def SStep_SubOp : SStep_BinaryOp<"sub", "lhs - rhs", DeclareOpInterfaceMethods<DifferentiableOpInterface, ["vjpReadsOperand"]>>;
def SStep_MulOp : SStep_BinaryOp<"mul", "lhs * rhs", DifferentiableOpInterface,
                                 [Commutative]> {
  // GELU, SiLU and hard swish as exporters write them out (x * (erf(x /
  // sqrt(2)) + 1) * 0.5, x * sigmoid(x), x * hard_sigmoid(x)) become one
  // sstep.gelu, sstep.silu or sstep.hard_swish, which the backends run as
  // one kernel.
  let hasCanonicalizer = 1;
}
def SStep_DivOp : SStep_BinaryOp<"div", "lhs / rhs">;

def SStep_PReluOp : SStep_Op<"prelu", [Pure, AllTypesMatch<["input", "output"]>,
                                       SpatialOpInterface,
                                       DifferentiableOpInterface]> {
  let summary = "Pointwise `x < 0 ? slope * x : x` (ONNX PRelu)";
  let description = [{
    `slope` broadcasts to `input` unidirectionally, as in ONNX: shapes align
    at the last dimension and only `slope`'s dimensions of 1 stretch. A
    per-channel slope of an NCHW image is `tensor<Cx1x1xf32>`; it is not a
    spatial operand.

    ```mlir
    %y = sstep.prelu %x, %slope
        : (tensor<1x64x?x?xf32>, tensor<64x1x1xf32>) -> tensor<1x64x?x?xf32>
    ```
  }];
  let arguments = (ins SStep_FloatTensor:$input, SStep_FloatTensor:$slope);
  let results = (outs SStep_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $slope attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // SSTEP_POINTWISE_OPS_TD
