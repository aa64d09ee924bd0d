//===- SinkTransposesPass.cpp - The sstep-sink-transposes pass ------------===//
//
// The pass around the dialect's rewrite (dialects/sstep/Transforms), which
// the importer also runs. See Passes.td for the worked example.
//
//===----------------------------------------------------------------------===//

#include "compiler/Passes.h"
#include "dialects/sstep/Transforms/SinkTransposes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace sstep {
#define GEN_PASS_DEF_SINKTRANSPOSES
#include "compiler/Passes.h.inc"
} // namespace sstep

namespace {

struct SinkTransposesPass
    : sstep::impl::SinkTransposesBase<SinkTransposesPass> {
  void runOnOperation() override {
    if (mlir::failed(sstep::sinkTransposes(getOperation())))
      signalPassFailure();
  }
};

} // namespace
