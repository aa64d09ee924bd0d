//===- BackwardPropertyTest.cpp - tiled gradients == whole gradients ------===//
//
// The backward pass's invariant (train/Backward.h), on random trainable
// networks (RandomNet.h) at random image sizes and tile edges that divide
// nothing: every weight's gradient and the input's, computed tile by tile,
// equal the whole-image backward pass within 1e-5 of their largest
// magnitude; two runs give the same bits; tiles whose owned output gradient
// is zero are skipped without changing anything. Equality with PyTorch's
// autograd is test/python/test_backward.py's.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Interpreter.h"
#include "runtime/train/Backward.h"
#include "runtime/train/BackwardPlan.h"
#include "test/unit/RandomNet.h"
#include "test/unit/TestPrograms.h"

#include <random>
#include <sys/stat.h>

using namespace sstep;

using test::compileProgram;
using test::randomImage;
using test::relativeError;

namespace {

train::Gradients gradients(const Program &program, const Tensor &x,
                           const Tensor &dy, int64_t edge, int segments = 1,
                           const std::string &scratch = {}) {
  train::BackwardOptions options;
  options.tiles.edge = edge;
  options.segments = segments;
  options.scratchFolder = scratch;
  return train::backward(program, x, dy, options);
}

void checkClose(const train::Gradients &want, const train::Gradients &got) {
  CHECK(relativeError(want.input, got.input) <= 1e-5);
  REQUIRE(got.constants.size() == want.constants.size());
  for (const auto &[v, g] : want.constants) {
    INFO("constant " << v);
    CHECK(relativeError(g, got.constants.at(v)) <= 1e-5);
  }
}

/// As checkClose, where normalisations make some gradients vanish in
/// exact arithmetic (a norm's bias before another norm, whose mean removes
/// it): those are the rounding of large cancelling sums, which tiles sum in
/// another order. Each weight's error is taken against its own largest
/// magnitude or a hundredth of the largest of any weight, whichever is
/// larger.
void checkCloseNormalised(const train::Gradients &want,
                          const train::Gradients &got) {
  CHECK(relativeError(want.input, got.input) <= 1e-5);
  REQUIRE(got.constants.size() == want.constants.size());
  double largest = 0;
  for (const auto &[v, g] : want.constants)
    for (float x : g.data)
      largest = std::max(largest, double(std::fabs(x)));
  for (const auto &[v, g] : want.constants) {
    INFO("constant " << v);
    const Tensor &h = got.constants.at(v);
    double diff = 0, scale = 1e-2 * largest;
    for (int64_t i = 0; i < g.size(); ++i) {
      diff = std::max(diff, double(std::fabs(g.data[i] - h.data[i])));
      scale = std::max(scale, double(std::fabs(g.data[i])));
    }
    CHECK(diff <= 1e-5 * scale);
  }
}

/// A random gradient of the shape of the program's output on `x`.
Tensor randomGradient(std::mt19937 &rng, const Program &program,
                      const Tensor &x) {
  Tensor y = reference::run(program, {x})[0];
  std::normal_distribution<float> normal;
  for (float &v : y.data)
    v = normal(rng);
  return y;
}

} // namespace

TEST_CASE("tiled gradients equal whole gradients on random networks",
          "[backward]") {
  std::mt19937 rng(20261206);
  int checked = 0;
  for (uint32_t seed = 1; seed <= 60; ++seed) {
    test::RandomCase c = test::randomTrainableCase(rng, seed);
    const std::array<int64_t, 2> &image = c.image;
    const int64_t channels = c.channels;
    INFO("seed " << seed << ", image " << image[0] << "x" << image[1] << "\n"
                 << c.text);
    Program program = compileProgram(c.text);
    REQUIRE_NOTHROW(train::checkDifferentiable(program));
    Tensor x = randomImage(rng, channels, image[0], image[1]);
    Tensor dy = randomGradient(rng, program, x);
    train::Gradients whole = gradients(program, x, dy, 0);
    CHECK(whole.stats.tiles == 1);
    CHECK(train::predictBackwardBytes(program, x.shape, {}, true) ==
          whole.stats.peakTileBytes);

    int64_t longest = std::max(image[0], image[1]);
    for (int64_t edge :
         {std::uniform_int_distribution<int64_t>(1, 5)(rng),
          std::uniform_int_distribution<int64_t>(6, longest)(rng)}) {
      INFO("tile edge " << edge);
      train::Gradients tiled = gradients(program, x, dy, edge);
      CHECK(tiled.stats.tiles > 0);
      checkClose(whole, tiled);
      // Every tile ran (the gradient is dense): the prediction is the
      // measured peak exactly.
      CHECK(train::predictBackwardBytes(program, x.shape, {edge, 0}, true) ==
            tiled.stats.peakTileBytes);
      // Checkpointed: the same gradients, never more bytes, predicted.
      int segments = std::uniform_int_distribution<int>(2, 4)(rng);
      INFO("segments " << segments);
      train::Gradients cut = gradients(program, x, dy, edge, segments);
      checkClose(whole, cut);
      CHECK(train::predictBackwardBytes(program, x.shape, {edge, 0}, true,
                                        segments) == cut.stats.peakTileBytes);
    }
    ++checked;
  }
  CHECK(checked == 60);
}

TEST_CASE("tiled gradients equal whole gradients across stages", "[backward]") {
  // Squeeze-and-excitation blocks (by a mean or a global max pool) and
  // streamed instance and group norms:
  // the stages run backward, last first, each seeding what later stages
  // summed for it (BackwardRun.h).
  std::mt19937 rng(20261207);
  // Scratch files are unlinked as soon as they are made: the folder stays
  // empty.
  const std::string scratch = std::string(SSTEP_TEST_WORK_DIR) + "/backward";
  ::mkdir(SSTEP_TEST_WORK_DIR, 0755);
  ::mkdir(scratch.c_str(), 0755);
  int staged = 0, scratched = 0, maxed = 0;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    test::RandomCase c = test::randomStagedTrainableCase(rng, seed);
    INFO("seed " << seed << ", image " << c.image[0] << "x" << c.image[1]
                 << "\n"
                 << c.text);
    Program program = compileProgram(c.text, /*streamNorms=*/true);
    REQUIRE_NOTHROW(train::checkDifferentiable(program));
    Tensor x = randomImage(rng, c.channels, c.image[0], c.image[1]);
    Tensor dy = randomGradient(rng, program, x);
    train::Gradients whole = gradients(program, x, dy, 0);
    staged += whole.stats.stages > 1;
    // A global max pool's gradient reaches one pixel a plane: tiles with
    // nothing else to seed are skipped, and the prediction (every tile)
    // may be more than the tiles that ran.
    auto predicted = [&](const train::Gradients &g) {
      return g.stats.tilesSkipped == 0 ? g.stats.peakTileBytes : int64_t(-1);
    };
    int64_t want = train::predictBackwardBytes(program, x.shape, {}, true);
    CHECK(want >= whole.stats.peakTileBytes);
    CHECK((predicted(whole) < 0 || want == predicted(whole)));
    int64_t longest = std::max(c.image[0], c.image[1]);
    int64_t edge = std::uniform_int_distribution<int64_t>(2, longest)(rng);
    int segments = std::uniform_int_distribution<int>(1, 3)(rng);
    INFO("tile edge " << edge << ", segments " << segments);
    train::Gradients tiled = gradients(program, x, dy, edge, segments);
    checkCloseNormalised(whole, tiled);
    want = train::predictBackwardBytes(program, x.shape, {edge, 0}, true,
                                       segments);
    CHECK(want >= tiled.stats.peakTileBytes);
    CHECK((predicted(tiled) < 0 || want == predicted(tiled)));
    maxed += c.text.find("global_max_pool2d") != std::string::npos;
    // The images crossing stages in scratch files: the same bits.
    if (whole.stats.stages > 1 && seed % 4 == 0) {
      train::Gradients onDisk =
          gradients(program, x, dy, edge, segments, scratch);
      CHECK(onDisk.input.data == tiled.input.data);
      for (const auto &[v, g] : tiled.constants)
        CHECK(g.data == onDisk.constants.at(v).data);
      CHECK(train::predictStoredBytes(program, x.shape) ==
            onDisk.stats.scratchPeakBytes);
      if (onDisk.stats.scratchPeakBytes > 0) { // not only the input crossed
        CHECK(onDisk.stats.scratchWritten > 0);
        CHECK(onDisk.stats.storedPeakBytes < tiled.stats.storedPeakBytes);
        ++scratched;
      }
    }
  }
  CHECK(staged >= 20);
  CHECK(scratched >= 3);
  CHECK(maxed >= 5);
}

TEST_CASE("the backward pass is deterministic and skips silent tiles",
          "[backward]") {
  std::mt19937 rng(7);
  test::RandomNet net(3, {29, 31}, 2, /*trainable=*/true);
  Program program = compileProgram(net.build(6));
  Tensor x = randomImage(rng, 2, 29, 31);
  Tensor dy = randomGradient(rng, program, x);
  train::Gradients a = gradients(program, x, dy, 7);
  train::Gradients b = gradients(program, x, dy, 7);
  CHECK(a.input.data == b.input.data);
  for (const auto &[v, g] : a.constants)
    CHECK(g.data == b.constants.at(v).data);

  // One output pixel's gradient (a global-max head's): one tile runs.
  Tensor one(dy.shape);
  one.data[one.size() / 2] = 1.0f;
  train::Gradients sparse = gradients(program, x, one, 7);
  train::Gradients whole = gradients(program, x, one, 0);
  CHECK(sparse.stats.tiles == 1);
  CHECK(sparse.stats.tilesSkipped > 0);
  checkClose(whole, sparse);
}

TEST_CASE("the backward pass refuses what it cannot differentiate",
          "[backward]") {
  SECTION("an op without a tiled gradient, by node and op") {
    // The compiler's verdict (sstep-differentiate) travels in the Program:
    // a softmax over H reads whole columns.
    Program program = compileProgram(R"(
func.func @main(%x: tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32> {
  %y = sstep.softmax %x {axes = array<i64: 2>} : tensor<1x2x?x?xf32> loc("odd")
  return %y : tensor<1x2x?x?xf32>
}
)");
    CHECK_FALSE(program.differentiable);
    CHECK_THROWS_WITH(train::checkDifferentiable(program),
                      Catch::Contains("node 'odd' (sstep.softmax) needs the "
                                      "whole image"));
  }
  SECTION("a rule without a kernel, or a plan without rules") {
    Program program = compileProgram(R"(
func.func @main(%x: tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32> {
  %y = sstep.relu %x : tensor<1x2x?x?xf32>
  return %y : tensor<1x2x?x?xf32>
}
)");
    REQUIRE(program.differentiable);
    train::checkDifferentiable(program);
    Program newer = program;
    newer.nodes[0].op = "mystery"; // a rule of a newer compiler
    CHECK_THROWS_WITH(train::checkDifferentiable(newer),
                      Catch::Contains("(sstep.mystery) has a gradient rule "
                                      "but no VJP kernel"));
    Program older = program; // a plan written before gradient rules
    older.differentiable = false;
    older.nodes[0].vjp.reset();
    CHECK_THROWS_WITH(train::checkDifferentiable(older),
                      Catch::Contains("compile the model again"));
  }
  SECTION("a head after a global pool") {
    Program program = compileProgram(R"(
func.func @main(%x: tensor<1x2x?x?xf32>) -> tensor<1x2x1x1xf32> {
  %y = sstep.global_max_pool2d %x : tensor<1x2x?x?xf32> -> tensor<1x2x1x1xf32>
  return %y : tensor<1x2x1x1xf32>
}
)");
    CHECK_THROWS_WITH(train::checkDifferentiable(program),
                      Catch::Contains("global pool"));
  }
  SECTION("a gradient of the wrong shape") {
    std::mt19937 rng(1);
    test::RandomNet net(5, {12, 12}, 1, /*trainable=*/true);
    Program program = compileProgram(net.build(3));
    Tensor x = randomImage(rng, 1, 12, 12);
    CHECK_THROWS_WITH(gradients(program, x, Tensor({1, 1, 2, 2}), 0),
                      Catch::Contains("the output gradient has shape"));
  }
}

TEST_CASE("backward tiles for a budget fit it", "[backward]") {
  std::mt19937 rng(11);
  test::RandomNet net(8, {40, 36}, 2, /*trainable=*/true);
  Program program = compileProgram(net.build(6));
  Tensor x = randomImage(rng, 2, 40, 36);
  Tensor dy = randomGradient(rng, program, x);
  int64_t whole = train::predictBackwardBytes(program, x.shape, {}, true);
  for (int64_t budget : {whole, whole / 2, whole / 5}) {
    INFO("budget " << budget);
    train::BackwardTiling chosen;
    try {
      chosen = train::chooseBackwardTiles(program, x.shape, budget, true);
    } catch (const BudgetError &) {
      continue; // tiny networks: even one pixel's halo may not fit
    }
    const plan::TileShape &tiles = chosen.tiles;
    if (budget == whole)
      CHECK((tiles.whole() && chosen.segments == 1));
    train::Gradients g = gradients(program, x, dy, tiles.edge, chosen.segments);
    CHECK(g.stats.peakTileBytes <= budget);
    // The next larger tile would not have fitted.
    if (!tiles.whole())
      CHECK(train::predictBackwardBytes(program, x.shape, {tiles.edge + 1, 0},
                                        true, chosen.segments) > budget);
  }
  CHECK_THROWS_AS(train::chooseBackwardTiles(program, x.shape, 16, true),
                  BudgetError);
}
