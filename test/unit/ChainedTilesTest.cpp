//===- ChainedTilesTest.cpp - tiles that reuse the rows above them --------===//
//
// StageTiling::windowsBelow on the worked example of Tiling.h, row by row;
// then the CPU backend, which chains the tiles of a column, against the
// reference backend's whole-image result on random networks with random
// tile widths and heights, also when tiles are skipped (the tile below a
// skipped one starts afresh).
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/cpu/CpuBackend.h"
#include "runtime/cpu/CpuTileModel.h"
#include "runtime/exec/Executor.h"
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

namespace {

const char *twoConvs = R"(
func.func @main(%x: tensor<1x1x?x?xf32>) -> tensor<1x1x?x?xf32> {
  %w = arith.constant dense<0.1> : tensor<1x1x3x3xf32>
  %y = sstep.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x?x?xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x?x?xf32>
  %z = sstep.conv2d %y, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x?x?xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x?x?xf32>
  return %z : tensor<1x1x?x?xf32>
}
)";

Interval rows(const Region &r) { return r.axes[0]; }

} // namespace

TEST_CASE("chained tiles compute each row once", "[tiling]") {
  Program program = compileProgram(twoConvs);
  plan::Stages stages = plan::planStages(program);
  REQUIRE(stages.stages.size() == 1);
  plan::Sizes sizes = plan::predictSizes(program, stages, {16, 16});
  plan::StageTiling tiling(program, stages.stages[0], sizes, Size2{4, 16});
  REQUIRE(tiling.grid() == Size2{4, 1});
  int x = program.inputs[0], z = program.outputs[0];
  int y = program.nodes[stages.stages[0].tileNodes[0]].results[0];

  plan::TileWindows top = tiling.windows(0, 0);
  CHECK(rows(top.compute[z]) == Interval{0, 3});
  CHECK(rows(top.compute[y]) == Interval{0, 4});
  CHECK(rows(top.compute[x]) == Interval{0, 5});
  plan::TileWindows second = tiling.windowsBelow(top, 1, 0);
  CHECK(rows(second.compute[z]) == Interval{4, 7});
  CHECK(rows(second.fresh[z]) == Interval{4, 7});
  CHECK(rows(second.compute[y]) == Interval{3, 8});
  CHECK(rows(second.fresh[y]) == Interval{5, 8});
  CHECK(rows(second.compute[x]) == Interval{4, 9});
  CHECK(rows(second.fresh[x]) == Interval{6, 9});
  plan::keepFor(top, second);
  CHECK(rows(top.keep[y]) == Interval{3, 4});
  CHECK(rows(top.keep[x]) == Interval{4, 5});
  CHECK(top.keep[z].empty());

  // Down the column every row of y and x is computed (or read) once, and
  // no tile holds more than the rows its fresh rows read.
  int64_t freshY = top.compute[y].axes[0].size();
  int64_t freshX = top.compute[x].axes[0].size();
  plan::TileWindows above = second;
  freshY += second.fresh[y].axes[0].size();
  freshX += second.fresh[x].axes[0].size();
  for (int64_t r = 2; r < 4; ++r) {
    plan::TileWindows below = tiling.windowsBelow(above, r, 0);
    freshY += below.fresh[y].axes[0].size();
    freshX += below.fresh[x].axes[0].size();
    CHECK(below.compute[y].axes[0].size() <= 6);
    above = below;
  }
  CHECK(freshY == 16);
  CHECK(freshX == 16);
}

TEST_CASE("a reader that skips columns still chains", "[tiling]") {
  // ResNet's downsample: %c, a 1x1 stride-2 convolution, reads columns 0,
  // 2, ..., 14 of %a's 16 and lags the 3x3 path by rows. At the bottom only
  // %c still needs %a; its window is narrower than the rows kept from the
  // tile above, and must be served by them, not computed again (which
  // recomputed everything back to the input).
  Program program = compileProgram(R"(
func.func @main(%x: tensor<1x1x?x?xf32>) -> tensor<1x1x?x?xf32> {
  %w = arith.constant dense<0.1> : tensor<1x1x3x3xf32>
  %k = arith.constant dense<0.5> : tensor<1x1x1x1xf32>
  %a = sstep.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x?x?xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x?x?xf32>
  %b = sstep.conv2d %a, %w {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x1x?x?xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x?x?xf32>
  %b2 = sstep.conv2d %b, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x?x?xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x?x?xf32>
  %c = sstep.conv2d %a, %k {strides = array<i64: 2, 2>} : (tensor<1x1x?x?xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x?x?xf32>
  %d = sstep.add %b2, %c : (tensor<1x1x?x?xf32>, tensor<1x1x?x?xf32>) -> tensor<1x1x?x?xf32>
  return %d : tensor<1x1x?x?xf32>
}
)");
  plan::Stages stages = plan::planStages(program);
  REQUIRE(stages.stages.size() == 1);
  plan::Sizes sizes = plan::predictSizes(program, stages, {16, 16});
  // One output row (two input rows) per tile.
  plan::StageTiling tiling(program, stages.stages[0], sizes, Size2{2, 16});
  REQUIRE(tiling.grid() == Size2{8, 1});
  int x = program.inputs[0];
  int a = program.nodes[stages.stages[0].tileNodes[0]].results[0];
  plan::TileWindows above = tiling.windows(0, 0);
  int64_t freshA = rows(above.compute[a]).size();
  int64_t freshX = rows(above.compute[x]).size();
  for (int64_t r = 1; r < 8; ++r) {
    plan::TileWindows below = tiling.windowsBelow(above, r, 0);
    INFO("tile " << r);
    // Every window of %a spans the columns the tile above kept.
    if (!below.compute[a].empty())
      CHECK(below.compute[a].axes[1] == Interval{0, 15});
    freshA += rows(below.fresh[a]).size();
    freshX += rows(below.fresh[x]).size();
    plan::keepFor(above, below);
    above = below;
  }
  CHECK(freshA == 16);
  CHECK(freshX == 16);
}

TEST_CASE("a chain's first tile is primed a few rows at a time", "[tiling]") {
  // The worked example of StageTiling::primingWindows.
  Program program = compileProgram(twoConvs);
  plan::Stages stages = plan::planStages(program);
  plan::Sizes sizes = plan::predictSizes(program, stages, {16, 16});
  plan::StageTiling tiling(program, stages.stages[0], sizes, Size2{4, 16});
  int x = program.inputs[0], z = program.outputs[0];
  int y = program.nodes[stages.stages[0].tileNodes[0]].results[0];

  std::vector<plan::TileWindows> primes = tiling.primingWindows(0, 0, 2);
  REQUIRE(primes.size() == 2);
  CHECK(primes[0].fresh.empty());
  CHECK(rows(primes[0].compute[x]) == Interval{0, 1});
  CHECK(rows(primes[0].compute[y]) == Interval{0, 0});
  CHECK(primes[0].compute[z].empty());
  CHECK(rows(primes[1].fresh[x]) == Interval{2, 3});
  CHECK(rows(primes[1].compute[x]) == Interval{0, 3});
  CHECK(rows(primes[1].fresh[y]) == Interval{1, 2});
  CHECK(rows(primes[1].compute[y]) == Interval{0, 2});
  CHECK(rows(primes[1].fresh[z]) == Interval{0, 1});
  for (const plan::TileWindows &w : primes)
    for (const Region &owned : w.owned)
      CHECK(owned.empty());

  plan::keepFor(primes[0], primes[1]);
  CHECK(rows(primes[0].keep[x]) == Interval{0, 1});
  CHECK(rows(primes[0].keep[y]) == Interval{0, 0});
  plan::TileWindows first = tiling.windowsBelow(primes[1], 0, 0);
  plan::keepFor(primes[1], first);
  CHECK(rows(first.fresh[z]) == Interval{2, 3});
  CHECK(rows(first.fresh[y]) == Interval{3, 4});
  CHECK(rows(first.fresh[x]) == Interval{4, 5});
  CHECK(rows(primes[1].keep[z]) == Interval{0, 1});
  CHECK(rows(primes[1].keep[y]) == Interval{1, 2});
  CHECK(rows(primes[1].keep[x]) == Interval{2, 3});
  // A tile no taller than the step needs none.
  CHECK(tiling.primingWindows(0, 0, 6).empty());
}

TEST_CASE("the planner counts what chained tiles hold", "[tiling]") {
  // Eight 3x3 convs: a 2-row strip computed alone needs 16 rows of halo; a
  // chained one holds 2 kept rows of most values.
  std::string text = "func.func @main(%v0: tensor<1x8x?x?xf32>) -> "
                     "tensor<1x8x?x?xf32> {\n  %w = arith.constant "
                     "dense<0.01> : tensor<8x8x3x3xf32>\n";
  for (int i = 1; i <= 8; ++i)
    text += "  %v" + std::to_string(i) + " = sstep.conv2d %v" +
            std::to_string(i - 1) +
            ", %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x?x?xf32>, "
            "tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32>\n";
  text += "  return %v8 : tensor<1x8x?x?xf32>\n}\n";
  Program program = compileProgram(text);
  plan::Stages stages = plan::planStages(program);
  plan::TileRows chainedRows{2, true};
  plan::MemoryPrediction chained =
      plan::predictMemory(program, stages, {64, 64}, 64, chainedRows);
  plan::MemoryPrediction alone = plan::predictMemory(
      program, stages, {64, 64}, 64, plan::TileRows{2, false});
  CHECK(chained.tileRows == 2);
  CHECK(chained.grids[0] == Size2{32, 1});
  // While v_k is completed: 2 kept rows of the 6 other values kept, v_k-1's
  // 4 rows, and the join's kept 2, fresh 2 and joined 4; 64 x 8 floats a
  // row.
  CHECK(chained.tileBytes == 24 * 64 * 8 * 4);
  CHECK(chained.tileBytes < alone.tileBytes);

  // In the cpu backend's layouts: with 8-channel blocks (AVX2) nothing is
  // padded; with 16-channel blocks (AVX-512) the convolutions' results are
  // padded to 16 channels, the 2 kept rows of the loaded input are not.
  int64_t block8 = plan::predictMemory(program, stages, {64, 64}, 64,
                                       chainedRows, cpu::CpuTileModel(8))
                       .tileBytes;
  int64_t block16 = plan::predictMemory(program, stages, {64, 64}, 64,
                                        chainedRows, cpu::CpuTileModel(16))
                        .tileBytes;
  CHECK(block8 == 24 * 64 * 8 * 4);
  CHECK(block16 == (2 * 8 + 22 * 16) * 64 * 4);

  // And the CPU backend holds what its model predicts, whatever its block.
  std::mt19937 rng(3);
  Tensor x = randomImage(rng, 8, 64, 64);
  exec::Options options;
  options.tileEdge = 64;
  options.tileRows = 2;
  cpu::CpuBackend backend;
  exec::Stats stats;
  std::vector<Tensor> got =
      exec::execute(program, backend, {x}, options, &stats);
  CHECK(relativeError(reference::run(program, {x})[0], got[0]) <= 1e-5);
  CHECK(stats.tilesChained == 31);
  CHECK(stats.peakTileBytes ==
        plan::predictMemory(program, stages, {64, 64}, 64, chainedRows, backend)
            .tileBytes);
  CHECK(stats.peakTileBytes ==
        (cpu::nativeChannelBlock() == 16 ? block16 : block8));
}

TEST_CASE("chained cpu tiles equal the reference on random networks",
          "[cpu][tiling]") {
  std::mt19937 rng(20261123);
  int64_t keptBlocks = 0, priming = 0;
  for (uint32_t seed = 1; seed <= 100; ++seed) {
    test::RandomCase c = test::randomTilingCase(rng, seed + 1000);
    const std::array<int64_t, 2> &image = c.image;
    const int64_t channels = c.channels;
    const std::string &text = c.text;
    Program program = compileProgram(text);
    Tensor x = randomImage(rng, channels, image[0], image[1]);
    std::vector<Tensor> whole = reference::run(program, {x});

    exec::Options options;
    options.tileEdge = std::uniform_int_distribution<int64_t>(1, 40)(rng);
    options.tileRows = std::uniform_int_distribution<int64_t>(1, 9)(rng);
    // Every third network skips a random fifth of its tiles; the reference
    // backend (no chaining) skips the same ones.
    bool skips = seed % 3 == 0;
    if (skips)
      options.wanted = [](const exec::TileId &id, const plan::TileWindows &) {
        return id.stage > 0 || (id.index * 7 + 3) % 5 != 0;
      };
    INFO("seed " << seed << ", image " << image[0] << "x" << image[1]
                 << ", tiles " << options.tileRows << " x " << options.tileEdge
                 << (skips ? ", some skipped" : "") << "\n"
                 << text);
    cpu::CpuBackend backend;
    exec::Stats stats;
    std::vector<Tensor> got =
        exec::execute(program, backend, {x}, options, &stats);
    std::vector<Tensor> want = whole;
    if (skips) {
      reference::ReferenceBackend oracle;
      want = exec::execute(program, oracle, {x}, options);
    }
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      REQUIRE(got[i].shape == want[i].shape);
      CHECK(relativeError(want[i], got[i]) <= 1e-4);
    }
    keptBlocks += backend.counters()["kept_blocks"];
    priming += stats.tilesPriming;
    if (!skips && stats.grids.size() == 1 && stats.grids[0][0] > 1)
      CHECK(stats.tilesChained == stats.grids[0][1] * (stats.grids[0][0] - 1));
  }
  CHECK(keptBlocks > 0);
  CHECK(priming > 0);
}
