//===- StageScheduleTest.cpp - steps, releases and predicted bytes --------===//
//
// plan::scheduleStage on the worked example of StageSchedule.h, with one node
// a step and with the cpu backend's fused steps; bad groups refused; and the
// planner's prediction in the cpu backend's steps and layouts equal to what
// the backend measures, chained or not.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/core/RuntimeError.h"
#include "runtime/cpu/CpuBackend.h"
#include "runtime/cpu/CpuTileModel.h"
#include "runtime/exec/Executor.h"
#include "runtime/plan/MemoryPlan.h"
#include "runtime/plan/StageSchedule.h"
#include "runtime/reference/Interpreter.h"
#include "test/unit/TestPrograms.h"

#include <algorithm>
#include <random>

using namespace sstep;
using test::compileProgram;

namespace {

const char *residual = R"(
func.func @main(%x: tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32> {
  %w = arith.constant dense<0.05> : tensor<8x8x3x3xf32>
  %a = sstep.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x?x?xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32>
  %b = sstep.add %a, %x : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %c = sstep.relu %b : tensor<1x8x?x?xf32>
  return %c : tensor<1x8x?x?xf32>
}
)";

bool has(const std::vector<int> &values, int v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

/// Runs `program` on the cpu backend in tiles of `edge` x `rows` and checks
/// it equals the reference and measures exactly the planner's prediction;
/// returns the backend's counters.
std::map<std::string, int64_t> runPredicted(const Program &program,
                                            const Tensor &x, int64_t edge,
                                            int64_t rows) {
  INFO("tile " << edge << " rows " << rows);
  cpu::CpuBackend backend;
  exec::Options options;
  options.tileEdge = edge;
  options.tileRows = rows;
  exec::Stats stats;
  std::vector<Tensor> got =
      exec::execute(program, backend, {x}, options, &stats);
  CHECK(test::relativeError(reference::run(program, {x})[0], got[0]) <= 1e-5);
  CHECK(stats.peakTileBytes == plan::predictMemory(program,
                                                   plan::planStages(program),
                                                   {x.dim(2), x.dim(3)}, edge,
                                                   {rows, edge > 0}, backend)
                                   .tileBytes);
  return backend.counters();
}

} // namespace

TEST_CASE("a stage schedule of one node a step", "[schedule]") {
  Program program = compileProgram(residual);
  plan::Stages stages = plan::planStages(program);
  REQUIRE(stages.stages.size() == 1);
  const plan::Stage &stage = stages.stages[0];
  REQUIRE(stage.tileNodes.size() == 3);
  plan::StageSchedule s = plan::scheduleStage(program, stage);
  int x = program.inputs[0], c = program.outputs[0];
  int a = program.nodes[stage.tileNodes[0]].results[0];
  int b = program.nodes[stage.tileNodes[1]].results[0];
  REQUIRE(s.steps.size() == 3);
  CHECK(s.inner.empty());
  CHECK(s.computed == std::set<int>{a, b, c});
  CHECK(s.loaded.count(x));
  CHECK(s.lastUse.at(x) == 1);
  CHECK(s.lastUse.at(c) == 3); // a sink: to the tile's end
  CHECK(has(s.releasedAfter[1], x));
  CHECK(has(s.releasedAfter[1], a));
  CHECK(has(s.releasedAfter[2], b));
  for (const auto &released : s.releasedAfter)
    CHECK_FALSE(has(released, c));
}

TEST_CASE("the cpu backend's fused steps hold no inner value", "[schedule]") {
  Program program = compileProgram(residual);
  plan::Stages stages = plan::planStages(program);
  const plan::Stage &stage = stages.stages[0];
  plan::Sizes sizes = plan::predictSizes(program, stages, {20, 20});
  plan::StageSchedule s =
      cpu::CpuTileModel(8).schedule(program, stage, stages, sizes);
  int x = program.inputs[0], c = program.outputs[0];
  int a = program.nodes[stage.tileNodes[0]].results[0];
  int b = program.nodes[stage.tileNodes[1]].results[0];
  REQUIRE(s.steps.size() == 1);
  CHECK(s.steps[0].nodes == stage.tileNodes);
  CHECK(s.steps[0].result == c);
  CHECK(s.inner == std::set<int>{a, b});
  CHECK_FALSE(s.held(a));
  CHECK(s.held(x));
  CHECK(has(s.releasedAfter[0], x));
  // The convolution and its sum write the blocked layout; so does the relu
  // that follows them in the same primitive.
  plan::BlockLayout layout = cpu::CpuTileModel(16).layout(program, s);
  CHECK(layout.blocked[c]);
  CHECK_FALSE(layout.blocked[x]);
  Region block{{Interval{0, 1}, Interval{0, 63}}};
  CHECK(layout.bytes(program, c, block) == 2 * 64 * 16 * 4);
  CHECK(layout.bytes(program, x, block) == 2 * 64 * 8 * 4);
}

TEST_CASE("a schedule whose steps are not the stage's nodes is refused",
          "[schedule]") {
  Program program = compileProgram(residual);
  plan::Stages stages = plan::planStages(program);
  const std::vector<int> &nodes = stages.stages[0].tileNodes;
  CHECK_THROWS_AS(plan::scheduleStage(program, stages.stages[0],
                                      {{nodes[1]}, {nodes[0]}, {nodes[2]}}),
                  RuntimeError);
  CHECK_THROWS_AS(
      plan::scheduleStage(program, stages.stages[0], {{nodes[0], nodes[1]}}),
      RuntimeError);
  CHECK_THROWS_AS(plan::scheduleStage(program, stages.stages[0], {{}}),
                  RuntimeError);
}

TEST_CASE("the planner predicts what the cpu backend holds in fused steps",
          "[schedule][cpu]") {
  // An RGB stem and two conv+bias+relu steps (fused), a pooling and a
  // reference-kernel op (pad) between: plain and blocked values, inner
  // values of fused steps, and kept rows when chained.
  Program program = compileProgram(R"(
func.func @main(%x: tensor<1x3x?x?xf32>) -> tensor<1x12x?x?xf32> {
  %w0 = arith.constant dense<0.1> : tensor<12x3x3x3xf32>
  %w1 = arith.constant dense<0.02> : tensor<12x12x3x3xf32>
  %b = arith.constant dense<0.1> : tensor<12xf32>
  %a = sstep.conv2d %x, %w0, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<12x3x3x3xf32>, tensor<12xf32>) -> tensor<1x12x?x?xf32>
  %r = sstep.relu %a : tensor<1x12x?x?xf32>
  %p = sstep.max_pool2d %r {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x12x?x?xf32> -> tensor<1x12x?x?xf32>
  %q = sstep.pad2d %p {mode = "reflect", pads = array<i64: 1, 1, 1, 1>} : tensor<1x12x?x?xf32> -> tensor<1x12x?x?xf32>
  %d = sstep.conv2d %q, %w1, %b : (tensor<1x12x?x?xf32>, tensor<12x12x3x3xf32>, tensor<12xf32>) -> tensor<1x12x?x?xf32>
  %e = sstep.relu %d : tensor<1x12x?x?xf32>
  return %e : tensor<1x12x?x?xf32>
}
)");
  REQUIRE(plan::planStages(program).stages.size() == 1);
  std::mt19937 rng(11);
  Tensor x = test::randomImage(rng, 3, 40, 56);
  for (auto [edge, rows] :
       {std::pair<int64_t, int64_t>{56, 8}, {16, 0}, {24, 6}, {0, 0}})
    CHECK(runPredicted(program, x, edge, rows)["fused_steps"] > 0);
}

TEST_CASE("the planner counts a residual summed in place once",
          "[schedule][cpu]") {
  // A bottleneck: %c accumulates onto %a's own block when it is %a's last
  // reader and the tile below keeps none of %a.
  Program program = compileProgram(R"(
func.func @main(%x: tensor<1x3x?x?xf32>) -> tensor<1x8x?x?xf32> {
  %w0 = arith.constant dense<0.2> : tensor<8x3x3x3xf32>
  %w1 = arith.constant dense<0.05> : tensor<8x8x3x3xf32>
  %w2 = arith.constant dense<-0.04> : tensor<8x8x1x1xf32>
  %a = sstep.conv2d %x, %w0 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  %b = sstep.conv2d %a, %w1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x?x?xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32>
  %c = sstep.conv2d %b, %w2 : (tensor<1x8x?x?xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x?x?xf32>
  %s = sstep.add %c, %a : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %r = sstep.relu %s : tensor<1x8x?x?xf32>
  return %r : tensor<1x8x?x?xf32>
}
)");
  std::mt19937 rng(12);
  Tensor x = test::randomImage(rng, 3, 30, 44);
  int64_t inPlace = 0;
  for (auto [edge, rows] :
       {std::pair<int64_t, int64_t>{0, 0}, {16, 0}, {44, 4}})
    inPlace += runPredicted(program, x, edge, rows)["in_place_sums"];
  CHECK(inPlace > 0);
}
