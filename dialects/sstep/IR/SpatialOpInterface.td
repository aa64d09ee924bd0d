//===- SpatialOpInterface.td - Window rules, non-locality --*- tablegen -*-===//

#ifndef SSTEP_SPATIAL_OP_INTERFACE_TD
#define SSTEP_SPATIAL_OP_INTERFACE_TD

include "mlir/IR/OpBase.td"

def SpatialOpInterface : OpInterface<"SpatialOpInterface"> {
  let cppNamespace = "::sstep";
  let description = [{
    An op whose output pixels depend on a bounded neighbourhood of its image
    operands. Axis 0 is height (NCHW dim 2), axis 1 is width (dim 3); channels
    are always whole. Intervals are inclusive, in the operand's own grid, and
    may extend past the image: the border rule says what lies there, so that a
    tile edge inside the image never behaves like padding.

    Example: `sstep.conv2d` with kernel 3, stride 2, pad 1 answers
    `getAxisRule(0)` = a window {k 3, s 2, p 1} with border zero, so
    `getInputInterval(0, 0, [4, 7]) = [7, 15]`. A resize's rule needs the
    image sizes: ask `getAxisRule(axis).inputInterval(out, inSize, outSize)`.
  }];

  // The defaults describe a pointwise op: every 4-D operand that is not
  // broadcast over space (H and W statically 1) is read at the output pixel.
  let methods = [
    InterfaceMethod<
      "Whether operand `operand` is an image indexed by the op's spatial axes "
      "(rather than a parameter such as weights, bias or a per-channel "
      "constant broadcast over space).",
      "bool", "isSpatialOperand", (ins "unsigned":$operand), "",
      [{ return ::sstep::isImageType($_op->getOperand(operand).getType()); }]>,
    InterfaceMethod<
      "The window rule along spatial axis `axis` (0 = H, 1 = W), shared by "
      "every spatial operand, with the op's border rule.",
      "::sstep::AxisRule", "getAxisRule", (ins "unsigned":$axis), "",
      [{
        assert(!::sstep::isNonLocal($_op.getOperation()) &&
               "a non-local op has no window rule: ask sstep::getWindowRule");
        return ::sstep::AxisRule();
      }]>,
  ];

  let extraSharedClassDeclaration = [{
    /// The input interval of spatial operand `operand` along `axis` read to
    /// compute output interval `out`, for rules that need no image size.
    ::sstep::Interval getInputInterval(unsigned operand, unsigned axis,
                                       ::sstep::Interval out) {
      assert($_op.isSpatialOperand(operand) && "not a spatial operand");
      return $_op.getAxisRule(axis).inputInterval(out);
    }
    /// What the op reads on spatial operand `operand` outside the image.
    ::sstep::BorderRule getBorderRule(unsigned operand) {
      return $_op.getAxisRule(0).border;
    }
    /// The spatial operands, in operand order.
    ::llvm::SmallVector<::mlir::OpOperand *> getSpatialOperands() {
      ::llvm::SmallVector<::mlir::OpOperand *> result;
      for (::mlir::OpOperand &operand : $_op->getOpOperands())
        if ($_op.isSpatialOperand(operand.getOperandNumber()))
          result.push_back(&operand);
      return result;
    }
  }];
}

def NonLocalOpInterface : OpInterface<"NonLocalOpInterface"> {
  let cppNamespace = "::sstep";
  let description = [{
    An op whose output may depend on a whole spatial axis of an image operand,
    so that no window rule bounds what a tile of its output reads: global
    pooling, instance normalisation, softmax or layer normalisation over H or
    W, concatenation along H or W, and the ops that move pixels into other
    dimensions (flatten, reshape, transpose, gemm, matmul). Such an op bounds
    a tile group: the partitioner ends the group before it and runs it as a
    multi-pass reduction over tiles (partial sums, counts, maxima) or on a
    materialised whole tensor, never on a tile as if it were the image.

    Some ops are non-local only with some attributes (`sstep.softmax` over
    channels is pointwise in space, over H it is not); they implement both
    this interface and `SpatialOpInterface`, and `isNonLocal()` decides. Ask
    `sstep::getWindowRule(op)`, which returns an op's spatial interface only
    when the op is local as configured, and `sstep::isNonLocal(op)`.

    Example: `sstep.global_avg_pool2d` answers `isNonLocal() = true`;
    `sstep.softmax {axes = array<i64: 1>}` on `tensor<1x8x?x?xf32>` answers
    false (its identity window rule holds) and with `axes = array<i64: 3>`
    true.
  }];

  let methods = [
    InterfaceMethod<
      "Whether the op, with its attributes and operand types, reads all of "
      "a spatial axis of an image operand to compute one output pixel (and "
      "so has no window rule).",
      "bool", "isNonLocal", (ins), "", [{ return true; }]>,
    InterfaceMethod<
      "How per-tile partial results combine into the op's result when it "
      "reduces all of H and W: \"mean\" (sums and counts), \"max\", or "
      "empty when the op needs its whole operand at once.",
      "::llvm::StringRef", "getTileReduction", (ins), "",
      [{ return ""; }]>,
  ];
}

#endif // SSTEP_SPATIAL_OP_INTERFACE_TD
