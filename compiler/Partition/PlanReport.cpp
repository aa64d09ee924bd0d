//===- PlanReport.cpp - The runtime's plan, written into the IR -----------===//

#include "compiler/Partition/PlanReport.h"
#include "compiler/Export/ExportProgram.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/plan/MemoryPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

using namespace mlir;

namespace sstep {
namespace {

/// [top, left, bottom, right] of a region.
DenseI64ArrayAttr edges(Builder &b, const Region &r) {
  return b.getDenseI64ArrayAttr(
      {r.axes[0].lo, r.axes[1].lo, r.axes[0].hi, r.axes[1].hi});
}

/// How far `outer` reaches beyond `inner` on each side (0 where it does not).
DenseI64ArrayAttr beyond(Builder &b, const Region &outer, const Region &inner) {
  if (outer.empty() || inner.empty())
    return b.getDenseI64ArrayAttr({0, 0, 0, 0});
  auto before = [](Interval o, Interval i) {
    return std::max<int64_t>(0, i.lo - o.lo);
  };
  auto after = [](Interval o, Interval i) {
    return std::max<int64_t>(0, o.hi - i.hi);
  };
  return b.getDenseI64ArrayAttr({before(outer.axes[0], inner.axes[0]),
                                 before(outer.axes[1], inner.axes[1]),
                                 after(outer.axes[0], inner.axes[0]),
                                 after(outer.axes[1], inner.axes[1])});
}

void annotate(const Program &program, const plan::Stages &stages,
              const plan::Sizes &sizes, int64_t tile,
              const llvm::DenseMap<Value, int> &ids, func::FuncOp main) {
  Builder b(main.getContext());
  SmallVector<mlir::Attribute> grids;
  for (const plan::Stage &stage : stages.stages) {
    plan::StageTiling tiling(program, stage, sizes, tile);
    Size2 grid = tiling.grid();
    grids.push_back(b.getDenseI64ArrayAttr({grid[0], grid[1]}));
    if (tiling.tiles() == 0)
      continue;
    int64_t row = std::min<int64_t>(1, grid[0] - 1);
    int64_t col = std::min<int64_t>(1, grid[1] - 1);
    plan::TileWindows w = tiling.windows(row, col);
    for (int id : stage.tileNodes) {
      int v = program.nodes[id].results[0];
      for (auto [value, valueId] : ids) {
        if (valueId != v)
          continue;
        Operation *op = value.getDefiningOp();
        op->setAttr("sstep.window", edges(b, w.compute[v]));
        op->setAttr("sstep.halo",
                    beyond(b, w.compute[v], tiling.share(v, row, col)));
        op->setAttr("sstep.border",
                    beyond(b, w.need[v], Region::whole(sizes[v])));
      }
    }
  }
  main->setAttr("sstep.grids", b.getArrayAttr(grids));
  main->setAttr("sstep.tile", b.getI64IntegerAttr(tile));
}

} // namespace

LogicalResult reportPlan(ModuleOp module, int64_t height, int64_t width,
                         int64_t tile) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  llvm::DenseMap<Value, int> ids;
  FailureOr<Program> program = exportProgram(module, &ids);
  if (failed(program))
    return failure();
  try {
    plan::Stages stages = plan::planStages(*program);
    plan::Sizes sizes = plan::predictSizes(*program, stages, {height, width});
    annotate(*program, stages, sizes, tile, ids, main);
    plan::MemoryPrediction memory =
        plan::predictMemory(*program, stages, {height, width}, tile);
    Builder b(module.getContext());
    NamedAttribute entries[] = {
        b.getNamedAttr("tile_bytes", b.getI64IntegerAttr(memory.tileBytes)),
        b.getNamedAttr("weight_bytes", b.getI64IntegerAttr(memory.weightBytes)),
        b.getNamedAttr("stored_bytes", b.getI64IntegerAttr(memory.storedBytes)),
    };
    main->setAttr("sstep.memory", b.getDictionaryAttr(entries));
  } catch (const RuntimeError &e) {
    return main.emitError("cannot plan at ")
           << height << "x" << width << ": " << e.what();
  }
  return success();
}

} // namespace sstep
