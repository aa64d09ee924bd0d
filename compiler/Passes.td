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
    annotated through it.
  }];
  let dependentDialects = ["::sstep::SStepDialect"];
}

#endif // SSTEP_COMPILER_PASSES_TD
