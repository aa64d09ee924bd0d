//===- BackwardScheduleTest.cpp - Where checkpoint segments are cut -------===//

#include <catch2/catch.hpp>

#include "runtime/plan/Stages.h"
#include "runtime/train/BackwardSchedule.h"
#include "test/unit/TestPrograms.h"

using namespace sstep;

TEST_CASE("checkpoint cuts fall between residual blocks and not inside one",
          "[backward]") {
  // Six nodes of equal bytes; halves meet before the add (node 3), where
  // both of the block's values a and b would be kept. One node earlier only
  // a crosses, one node later only c.
  Program program = test::compileProgram(R"(
func.func @main(%x: tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32> {
  %p = sstep.relu %x : tensor<1x2x?x?xf32>
  %a = sstep.relu %p : tensor<1x2x?x?xf32>
  %b = sstep.relu %a : tensor<1x2x?x?xf32>
  %c = sstep.add %b, %a : (tensor<1x2x?x?xf32>, tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
  %d = sstep.relu %c : tensor<1x2x?x?xf32>
  %e = sstep.relu %d : tensor<1x2x?x?xf32>
  return %e : tensor<1x2x?x?xf32>
}
)");
  plan::Stages stages = plan::planStages(program);
  REQUIRE(stages.stages.size() == 1);
  const plan::Stage &stage = stages.stages[0];
  REQUIRE(stage.tileNodes.size() == 6);
  std::vector<int64_t> bytes(program.values.size(), 1000);
  train::BackwardSchedule two =
      train::backwardSchedule(program, stage, 2, bytes);
  CHECK(two.segmentStarts == std::vector<int>{0, 2});
  // One segment cuts nothing; more segments than nodes, one node each.
  CHECK(train::backwardSchedule(program, stage, 1, bytes).segmentStarts ==
        std::vector<int>{0});
  CHECK(train::backwardSchedule(program, stage, 9, bytes).segmentStarts ==
        std::vector<int>{0, 1, 2, 3, 4, 5});
  // Nothing weighs the cut (no sizes known): the nodes evenly.
  std::vector<int64_t> none(program.values.size(), 0);
  CHECK(train::backwardSchedule(program, stage, 3, none).segmentStarts ==
        std::vector<int>{0, 2, 4});
}
