//===- ExecutionPlanTest.cpp - one tile policy for every kind of run ------===//
//
// plan::planExecution against the three policies it replaced (tensor runs,
// slide runs, patch runs; their branches kept here over the building
// blocks) on random networks, for a backend that chains tiles and one that
// does not; and the properties the policy promises: a budget's tiles fit
// it, a tensor that fits runs whole, a slide always runs in tiles, an
// impossible budget names what the smallest tile needs.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/core/RuntimeError.h"
#include "runtime/cpu/CpuTileModel.h"
#include "runtime/plan/ExecutionPlan.h"
#include "test/unit/RandomNet.h"
#include "test/unit/TestPrograms.h"

#include <algorithm>

using namespace sstep;

namespace {

/// Model::tileShapeFor as it was.
plan::TileShape oldTensorShape(const Program &program,
                               const plan::Stages &stages, Size2 size,
                               int64_t budget, bool chained,
                               const plan::TileModel &model) {
  if (budget <= 0)
    return {};
  return plan::chooseTiles(program, stages, size, budget, chained, model);
}

/// runtime/api/Slide.cpp's branch as it was.
plan::TileShape oldSlideShape(const Program &program,
                              const plan::Stages &stages, Size2 size,
                              int64_t budget, bool chained,
                              const plan::TileModel &model) {
  if (chained)
    return plan::chooseStrips(program, stages, size, budget, model);
  return {plan::chooseSlideTileEdge(program, stages, size, budget, model), 0};
}

/// The cpu backend's model, which chains tiles, or the plain one.
const plan::TileModel &modelOf(bool chained) {
  static const cpu::CpuTileModel cpuModel;
  return chained ? static_cast<const plan::TileModel &>(cpuModel)
                 : plan::plainModel();
}

} // namespace

TEST_CASE("one tile policy gives the shapes of the three it replaced",
          "[plan]") {
  for (uint32_t seed = 300; seed < 316; ++seed) {
    Size2 size{72, 96};
    test::RandomNet net(seed, {size[0], size[1]}, 3);
    std::string text = net.build(7);
    INFO("seed " << seed << "\n" << text);
    Program program = test::compileProgram(text);
    plan::Stages stages = plan::planStages(program);
    for (bool chained : {false, true}) {
      const plan::TileModel &model = modelOf(chained);
      plan::BackendTraits traits{chained, &model};
      plan::MemoryPrediction whole =
          plan::predictMemory(program, stages, size, 0, {0, chained}, model);
      plan::MemoryPrediction least =
          plan::predictMemory(program, stages, size, 1, {1, chained}, model);
      for (double share : {0.3, 0.7, 1.5}) {
        int64_t budget =
            least.workingSet() +
            int64_t(share * double(whole.workingSet() - least.workingSet()));
        INFO("chained " << chained << " budget " << budget);
        plan::TileRequest tensor{{}, budget, false};
        plan::ExecutionPlan p =
            plan::planExecution(program, size, traits, tensor);
        CHECK(p.tiles ==
              oldTensorShape(program, stages, size, budget, chained, model));
        CHECK(p.chained == chained);
        CHECK(p.input == size);
        CHECK(p.memory.workingSet() <= budget);
        if (whole.workingSet() <= budget)
          CHECK(p.tiles.extent()[1] >= std::max(size[0], size[1]));

        plan::TileRequest slide{{}, budget, true};
        plan::ExecutionPlan s =
            plan::planExecution(program, size, traits, slide);
        CHECK(s.tiles ==
              oldSlideShape(program, stages, size, budget, chained, model));
        CHECK_FALSE(s.tiles.whole());
        CHECK(s.memory.workingSet() <= budget);
        if (!chained) {
          // The first of 1024, 2048 and 4096 whose halo is small, no larger
          // than the largest square that fits.
          int64_t fits =
              plan::chooseTileEdge(program, stages, size, budget, model);
          CHECK(s.tiles.edge <= fits);
          CHECK((s.tiles.edge == fits || s.tiles.edge == 1024 ||
                 s.tiles.edge == 2048 || s.tiles.edge == 4096));
        }
      }
      // Fixed tiles are taken as given, with their prediction.
      plan::ExecutionPlan fixed = plan::planExecution(
          program, size, traits, plan::TileRequest{{24, 8}, 0, false});
      CHECK(fixed.tiles == plan::TileShape{24, 8});
      CHECK(fixed.memory.tileBytes ==
            plan::predictMemory(program, stages, size, 24, {8, chained}, model)
                .tileBytes);
      // No budget: the whole image (tensors); a slide needs one.
      CHECK(plan::planExecution(program, size, traits, {}).tiles.whole());
      CHECK_THROWS_AS(plan::planExecution(program, size, traits,
                                          plan::TileRequest{{}, 0, true}),
                      RuntimeError);
      CHECK_THROWS_WITH(plan::planExecution(program, size, traits,
                                            plan::TileRequest{{}, 1, false}),
                        Catch::Contains("the smallest tile needs"));
    }
  }
}

TEST_CASE("a plan's stage tilings are the plan's tiles", "[plan]") {
  Program program = test::compileProgram(R"(
func.func @main(%x: tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32> {
  %w = arith.constant dense<0.1> : tensor<2x2x3x3xf32>
  %y = sstep.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x?x?xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x?x?xf32>
  return %y : tensor<1x2x?x?xf32>
}
)");
  plan::ExecutionPlan p = plan::planExecution(
      program, {40, 64}, {}, plan::TileRequest{{16, 8}, 0, false});
  plan::Sizes sizes = plan::predictSizes(program, p.stages, p.input);
  plan::StageTiling tiling = p.tiling(program, 0, sizes);
  CHECK(tiling.grid() == Size2{5, 4});
  CHECK(p.memory.grids == std::vector<Size2>{Size2{5, 4}});
}

TEST_CASE("a slide plan counts the reader, read-ahead and writer in its "
          "budget",
          "[plan]") {
  // StreamModel.h's example: 96 x 4096 windows from 256 x 256 JPEG tiles.
  plan::StreamModel stream;
  stream.sourceTile = {256, 256};
  Region window{{Interval{300, 395}, Interval{10, 4105}}};
  CHECK(stream.readerCacheBytes(window) == 2 * 17 * 256 * 256 * 3);
  CHECK(stream.readAheadBytes(window) == 2 * 96 * 4096 * 15);
  CHECK(stream.bytes(window, 1000) == stream.readerCacheBytes(window) +
                                          stream.readAheadBytes(window) +
                                          2 * 1000);
  // The output encoders' tiles count while tiles run.
  stream.encoderBytes = 7000;
  CHECK(stream.bytes(window, 1000) == stream.readerCacheBytes(window) +
                                          stream.readAheadBytes(window) +
                                          2 * 1000 + 7000);
  // A level without tiles caches nothing.
  CHECK(plan::StreamModel{}.readerCacheBytes(window) == 0);

  int streamed = 0;
  for (uint32_t seed = 330; seed < 338; ++seed) {
    Size2 size{160, 480};
    test::RandomNet net(seed, {size[0], size[1]}, 3);
    std::string text = net.build(6);
    INFO("seed " << seed << "\n" << text);
    Program program = test::compileProgram(text);
    plan::Stages stages = plan::planStages(program);
    stream.sourceTile = {64, 64};
    for (bool chained : {false, true}) {
      const plan::TileModel &model = modelOf(chained);
      plan::BackendTraits traits{chained, &model};
      plan::MemoryPrediction least = plan::predictMemory(
          program, stages, size, 1, {1, chained}, model, &stream);
      plan::MemoryPrediction whole =
          plan::predictMemory(program, stages, size, 480,
                              {chained ? 32 : 0, chained}, model, &stream);
      if (least.inputWindow.empty())
        continue; // a network that reads its input whole, not in tiles
      ++streamed;
      int64_t budget = (least.workingSet() + whole.workingSet()) / 2;
      INFO("chained " << chained << " budget " << budget);
      plan::TileRequest counted{{}, budget, true};
      counted.stream = &stream;
      plan::ExecutionPlan s =
          plan::planExecution(program, size, traits, counted);
      // The stream's bytes are predicted for the tiles chosen, and the
      // whole of it fits the budget.
      CHECK(s.memory.streamBytes > 0);
      CHECK(s.memory.streamBytes ==
            stream.bytes(s.memory.inputWindow, s.memory.sinkBlockBytes));
      CHECK(s.memory.workingSet() ==
            s.memory.weightBytes +
                std::max(s.memory.tileBytes + s.memory.streamBytes,
                         stream.finishBytes));
      CHECK(s.memory.workingSet() <= budget);
      // Counting the stream never gives larger tiles than not counting it.
      plan::ExecutionPlan uncounted = plan::planExecution(
          program, size, traits, plan::TileRequest{{}, budget, true});
      CHECK(uncounted.memory.streamBytes == 0);
      CHECK(s.tiles.edge <= uncounted.tiles.edge);

      // Building the outputs' pyramids after the tiles holds the weights
      // and the finishing bytes: a budget below them is refused, whatever
      // the tile.
      plan::StreamModel finishing = stream;
      finishing.finishBytes = whole.workingSet();
      plan::TileRequest tight{{}, budget, true};
      tight.stream = &finishing;
      CHECK_THROWS_AS(plan::planExecution(program, size, traits, tight),
                      BudgetError);
      tight.memoryBudget = least.weightBytes + finishing.finishBytes;
      plan::ExecutionPlan f = plan::planExecution(program, size, traits, tight);
      CHECK(f.memory.finishBytes == finishing.finishBytes);
      CHECK(f.memory.workingSet() == tight.memoryBudget);
    }
  }
  CHECK(streamed >= 8);
}
