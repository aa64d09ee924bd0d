//===- PlanReport.h - The runtime's plan, written into the IR ----*- C++
//-*-===//
//
// Windows depend on the image size, which the compiler does not know; for a
// given size the partition pass can still show what the runtime will do, by
// running the runtime's own planner (runtime/plan) on the exported program
// and attaching its answers to the ops. See Passes.td.
//
// Example: a 3x3 stride-1 pad-1 conv on a 10x10 image with tile=4 gets
// `sstep.window = [4, 4, 7, 7]`, `sstep.halo = [0, 0, 0, 0]` on the returned
// value; the conv before it computes [3, 3, 8, 8], a halo of 1 all round.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_COMPILER_PARTITION_PLANREPORT_H
#define SSTEP_COMPILER_PARTITION_PLANREPORT_H

#include "mlir/IR/BuiltinOps.h"

namespace sstep {

/// Annotates @main of a partitioned `module` with its plan at image size
/// `height` x `width` and tile edge `tile`. Emits an error and fails when the
/// runtime's planner rejects the program.
mlir::LogicalResult reportPlan(mlir::ModuleOp module, int64_t height,
                               int64_t width, int64_t tile);

} // namespace sstep

#endif // SSTEP_COMPILER_PARTITION_PLANREPORT_H
