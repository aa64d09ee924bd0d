//===- DifferentiableOpInterface.td - Gradient rules -------*- tablegen -*-===//

#ifndef SSTEP_DIFFERENTIABLE_OP_INTERFACE_TD
#define SSTEP_DIFFERENTIABLE_OP_INTERFACE_TD

include "mlir/IR/OpBase.td"

def DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::sstep";
  let description = [{
    An op with a vector-Jacobian product: given the gradient of a loss with
    respect to its result, the gradient with respect to its operands. The
    interface says which operands can receive a gradient and which forward
    values the product reads; the sstep-differentiate pass composes these
    into a network's backward pass, and the runtime's VJP kernels (keyed by
    op name, runtime/reference/Vjp.h) compute each product over a tile.

    What a product reads decides what a tiled backward pass must keep from
    its forward pass: a residual sum's gradient reads nothing (it passes the
    gradient on), relu's reads its result (y > 0 exactly where x > 0), a
    convolution's reads its input and weight but not its bias.

    Example: `sstep.conv2d %x, %w, %b` answers isDifferentiableOperand = true
    for all three, vjpReadsOperand = true for `%x` and `%w`, false for `%b`,
    and vjpReadsResult = false.
  }];

  // The defaults describe a pointwise function of all its operands, such as
  // a product: every operand gets a gradient and is read; the result is not.
  let methods = [
    InterfaceMethod<
      "Whether operand `operand` can receive a gradient (false for operands "
      "that contribute their shape only, such as a resize's `like`).",
      "bool", "isDifferentiableOperand", (ins "unsigned":$operand), "",
      [{ return true; }]>,
    InterfaceMethod<
      "Whether the VJP reads operand `operand`'s forward value (false when "
      "it needs the operand's shape only).",
      "bool", "vjpReadsOperand", (ins "unsigned":$operand), "",
      [{ return true; }]>,
    InterfaceMethod<
      "Whether the VJP reads the op's forward result.",
      "bool", "vjpReadsResult", (ins), "", [{ return false; }]>,
  ];
}

#endif // SSTEP_DIFFERENTIABLE_OP_INTERFACE_TD
