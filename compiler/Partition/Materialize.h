//===- Materialize.h - Which tile results leave their stage -----*- C++ -*-===//
//
// A tile op's result that a later stage, a `whole` op or the function's
// result reads is materialised: its producer gets `sstep.materialize`, and
// the runtime stores it between stages or hands it out. The partitioner
// marks them; passes that move ops between stages (sstep-recompute) mark
// them again.
//
// Example: in `%0 = conv(%x)` (stage 0), `%1 = gap(%0)` (reduce, stage 0),
// `%2 = mul(%0, %s)` (stage 1), the conv is materialised: stage 1 reads it.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_COMPILER_PARTITION_MATERIALIZE_H
#define SSTEP_COMPILER_PARTITION_MATERIALIZE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace sstep {

/// Sets `sstep.materialize` on exactly the tile ops of `func` whose results
/// leave their stage (and removes it from the others).
void markMaterialized(mlir::func::FuncOp func);

} // namespace sstep

#endif // SSTEP_COMPILER_PARTITION_MATERIALIZE_H
