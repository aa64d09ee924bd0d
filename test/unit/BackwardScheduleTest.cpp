//===- BackwardScheduleTest.cpp - Where checkpoint segments are cut -------===//

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>

#include "runtime/plan/Stages.h"
#include "runtime/train/BackwardPlan.h"
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

TEST_CASE("tuned cuts move one at a time to the least cost", "[backward]") {
  // Least cost at cuts 3 and 7.
  int evaluated = 0;
  auto cost = [&](const std::vector<int> &starts) {
    ++evaluated;
    REQUIRE(starts.size() == 3);
    int64_t off = std::abs(starts[1] - 3) + std::abs(starts[2] - 7);
    return std::pair<int64_t, int>{off, 0};
  };
  CHECK(train::tuneCuts({0, 1, 2}, 10, cost) == std::vector<int>{0, 3, 7});
  CHECK(train::tuneCuts({0, 8, 9}, 10, cost) == std::vector<int>{0, 3, 7});
  CHECK(evaluated > 0);
  // One cut, least anywhere in 2..4: the fewest recomputed nodes (here the
  // earliest cut) win the tie.
  auto flat = [](const std::vector<int> &starts) {
    int cut = starts.size() > 1 ? starts[1] : 0;
    int64_t off = std::max(0, std::abs(cut - 3) - 1);
    return std::pair<int64_t, int>{off, cut};
  };
  CHECK(train::tuneCuts({0, 8}, 10, flat) == std::vector<int>{0, 2});
  // One segment: nothing to move.
  CHECK(train::tuneCuts({0}, 10, flat) == std::vector<int>{0});
}

TEST_CASE("tuned cuts hold no more than any other cut", "[backward]") {
  // A stem of four 16-channel values at full resolution, a max pool to a
  // quarter of the pixels, then two residual blocks there. Equal bytes cut
  // after the pool, where the fewest bytes cross; but the stem's segment,
  // recomputed last, then holds its large values and their gradients
  // beside the pool's checkpoint, and a cut inside the stem holds less.
  // The tiles' replays find it.
  Program program = test::compileProgram(R"(
func.func @main(%x: tensor<1x1x?x?xf32>) -> tensor<1x16x?x?xf32> {
  %w = arith.constant dense<0.1> : tensor<16x1x3x3xf32>
  %s = arith.constant dense<0.5> : tensor<16x1x1xf32>
  %k = arith.constant dense<0.01> : tensor<16x16x3x3xf32>
  %a = sstep.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x?x?xf32>, tensor<16x1x3x3xf32>) -> tensor<1x16x?x?xf32>
  %b = sstep.mul %a, %s : (tensor<1x16x?x?xf32>, tensor<16x1x1xf32>) -> tensor<1x16x?x?xf32>
  %c = sstep.add %b, %s : (tensor<1x16x?x?xf32>, tensor<16x1x1xf32>) -> tensor<1x16x?x?xf32>
  %d = sstep.relu %c : tensor<1x16x?x?xf32>
  %e = sstep.max_pool2d %d {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x16x?x?xf32> -> tensor<1x16x?x?xf32>
  %f = sstep.conv2d %e, %k {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x?x?xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x?x?xf32>
  %g = sstep.relu %f : tensor<1x16x?x?xf32>
  %h = sstep.conv2d %g, %k {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x?x?xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x?x?xf32>
  %i = sstep.add %h, %e : (tensor<1x16x?x?xf32>, tensor<1x16x?x?xf32>) -> tensor<1x16x?x?xf32>
  %j = sstep.relu %i : tensor<1x16x?x?xf32>
  %l = sstep.conv2d %j, %k {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x?x?xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x?x?xf32>
  %m = sstep.relu %l : tensor<1x16x?x?xf32>
  %n = sstep.conv2d %m, %k {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x?x?xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x?x?xf32>
  %o = sstep.add %n, %j : (tensor<1x16x?x?xf32>, tensor<1x16x?x?xf32>) -> tensor<1x16x?x?xf32>
  %p = sstep.relu %o : tensor<1x16x?x?xf32>
  return %p : tensor<1x16x?x?xf32>
}
)");
  plan::Stages stages = plan::planStages(program);
  REQUIRE(stages.stages.size() == 1);
  const plan::Stage &stage = stages.stages[0];
  const int n = int(stage.tileNodes.size());
  REQUIRE(n == 15);
  Shape input = {1, 1, 64, 64};
  plan::Sizes sizes = plan::predictSizes(program, stages, {64, 64});
  std::vector<int64_t> bytes = train::valueBytes(program, sizes, input);
  for (int64_t edge : {0, 24}) {
    INFO("tile edge " << edge);
    plan::TileShape tiles{edge, 0};
    auto peakOf = [&](const train::BackwardSchedule &schedule) {
      return train::predictBackwardBytes(program, input, tiles, false,
                                         {schedule});
    };
    std::vector<train::BackwardSchedule> tuned =
        train::backwardSchedules(program, input, tiles, false, 2);
    REQUIRE(tuned.size() == 1);
    REQUIRE(tuned[0].segmentStarts.size() == 2);
    int64_t best = peakOf(tuned[0]);
    CHECK(best == train::predictBackwardBytes(program, input, tiles, false, 2));
    // One cut: the tuner tried every place; none holds less.
    for (int k = 1; k < n; ++k) {
      INFO("cut before node " << k);
      CHECK(peakOf(train::backwardSchedule(program, stage, {0, k})) >= best);
    }
    train::BackwardSchedule equal =
        train::backwardSchedule(program, stage, 2, bytes);
    INFO("equal bytes cut at " << equal.segmentStarts[1] << ", tuned at "
                               << tuned[0].segmentStarts[1]);
    CHECK(peakOf(equal) > best);
    // Three segments: no worse than the equal-bytes cuts either.
    CHECK(train::predictBackwardBytes(program, input, tiles, false, 3) <=
          peakOf(train::backwardSchedule(program, stage, 3, bytes)));
  }
}
