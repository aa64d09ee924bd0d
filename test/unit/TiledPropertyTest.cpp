//===- TiledPropertyTest.cpp - tiled == whole on random networks ----------===//
//
// The invariant of SSTEP, checked on random networks (RandomNet.h) at random
// image sizes and random tile edges, including edges that do not divide the
// image, one-pixel tiles, and one tile: the partitioned program run tile by
// tile on the reference backend equals the whole-image run within 1e-5 of the
// output's largest magnitude. Also: the planner's chosen tile fits its budget.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/plan/MemoryPlan.h"
#include "runtime/reference/Interpreter.h"
#include "runtime/reference/ReferenceBackend.h"
#include "test/unit/RandomNet.h"
#include "test/unit/TestPrograms.h"

#include <random>

using namespace sstep;

using test::compileProgram;
using test::randomImage;
using test::relativeError;

TEST_CASE("tiled equals whole on random networks", "[tiling]") {
  std::mt19937 rng(20261123);
  for (uint32_t seed = 1; seed <= 150; ++seed) {
    test::RandomCase c = test::randomTilingCase(rng, seed);
    const std::array<int64_t, 2> &image = c.image;
    const int64_t channels = c.channels;
    const std::string &text = c.text;
    INFO("seed " << seed << ", image " << image[0] << "x" << image[1] << "\n"
                 << text);
    Program program = compileProgram(text);
    Tensor x = randomImage(rng, channels, image[0], image[1]);
    std::vector<Tensor> whole = reference::run(program, {x});

    int64_t longest = std::max(image[0], image[1]);
    for (int64_t edge :
         {int64_t(1), std::uniform_int_distribution<int64_t>(2, 9)(rng),
          std::uniform_int_distribution<int64_t>(2, longest)(rng),
          int64_t(0)}) {
      INFO("tile edge " << edge);
      exec::Stats stats;
      std::vector<Tensor> tiled =
          reference::runTiled(program, {x}, edge, &stats);
      REQUIRE(tiled.size() == whole.size());
      for (size_t i = 0; i < whole.size(); ++i) {
        REQUIRE(tiled[i].shape == whole[i].shape);
        CHECK(relativeError(whole[i], tiled[i]) <= 1e-5);
      }
    }
  }
}

TEST_CASE("the planner's tile fits its budget", "[tiling]") {
  std::mt19937 rng(7);
  for (uint32_t seed = 200; seed < 220; ++seed) {
    test::RandomNet net(seed, {48, 40}, 2);
    std::string text = net.build(6);
    INFO("seed " << seed << "\n" << text);
    Program program = compileProgram(text);
    plan::Stages stages = plan::planStages(program);
    plan::MemoryPrediction whole =
        plan::predictMemory(program, stages, {48, 40}, 0);
    plan::MemoryPrediction least =
        plan::predictMemory(program, stages, {48, 40}, 1);
    // A budget between the smallest tile's needs and the whole image's.
    int64_t budget =
        least.workingSet() + (whole.workingSet() - least.workingSet()) / 3;
    int64_t edge = plan::chooseTileEdge(program, stages, {48, 40}, budget);
    plan::MemoryPrediction chosen =
        plan::predictMemory(program, stages, {48, 40}, edge);
    CHECK(chosen.workingSet() <= budget);

    exec::Stats stats;
    Tensor x = randomImage(rng, 2, 48, 40);
    reference::runTiled(program, {x}, edge, &stats);
    // Measured over every tile, not only the planner's samples.
    CHECK(stats.peakTileBytes + chosen.weightBytes <= budget);

    CHECK_THROWS_WITH(
        plan::chooseTileEdge(program, stages, {48, 40}, least.workingSet() - 1),
        Catch::Contains("cannot be met: the smallest tile needs"));
  }
}
