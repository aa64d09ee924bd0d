//===- SStepOps.td - Ops of the sstep dialect ---------------*- tablegen -*-===//

#ifndef SSTEP_OPS_TD
#define SSTEP_OPS_TD

include "dialects/sstep/IR/SStepDialect.td"
include "dialects/sstep/IR/DifferentiableOpInterface.td"
include "dialects/sstep/IR/SpatialOpInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/OpBase.td"

// Activations of a network: NCHW tensors whose spatial dims may be dynamic.
def SStep_FloatTensor4D : 4DTensorOf<[F32, F16, BF16]>;
def SStep_FloatTensor1D : 1DTensorOf<[F32, F16, BF16]>;
def SStep_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;

include "dialects/sstep/IR/ConvOps.td"
include "dialects/sstep/IR/PoolOps.td"
include "dialects/sstep/IR/PointwiseOps.td"
include "dialects/sstep/IR/GeometryOps.td"
include "dialects/sstep/IR/TensorOps.td"
include "dialects/sstep/IR/MatrixOps.td"
include "dialects/sstep/IR/NormOps.td"

#endif // SSTEP_OPS_TD
