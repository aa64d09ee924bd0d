//===- SStepDialect.td - The sstep dialect -----------------*- tablegen -*-===//

#ifndef SSTEP_DIALECT_TD
#define SSTEP_DIALECT_TD

include "mlir/IR/OpBase.td"

def SStep_Dialect : Dialect {
  let name = "sstep";
  let cppNamespace = "::sstep";
  let summary = "Whole-image tensor ops of convolutional networks";
  let description = [{
    The `sstep` dialect holds convolutional networks at graph level, with
    whole-image semantics: values are NCHW tensors `tensor<1xCx?x?xf32>` whose
    height and width are those of the image being processed, often dynamic.

    Every spatially local op implements the `SpatialOpInterface`: for an
    interval of output pixels along an axis it names the interval of input
    pixels it reads, and what it reads outside the image (its border rule).
    The partitioner composes these rules backwards through the graph to cut the
    network into tiles whose results equal the whole-image result exactly.
  }];
  let usePropertiesForAttributes = 1;
}

class SStep_Op<string mnemonic, list<Trait> traits = []>
    : Op<SStep_Dialect, mnemonic, traits>;

#endif // SSTEP_DIALECT_TD
