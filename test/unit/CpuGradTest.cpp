//===- CpuGradTest.cpp - the cpu gradient kernels equal the reference's ---===//
//
// The backward pass on the cpu backend's kernels (oneDNN convolutions,
// plane kernels for add, sub, mul and relu: cpu/ConvGrad.h,
// cpu/PointwiseGrad.h) against the reference kernels' whole-image
// gradients, on random trainable networks: per-channel and scalar
// constants, residual sums, operand blocks larger than their reader's
// output block, tile edges that divide nothing. oneDNN sums in fp32, so
// the bound is 1e-4 of each gradient's largest magnitude.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/reference/Interpreter.h"
#include "runtime/train/Backward.h"
#include "test/unit/RandomNet.h"
#include "test/unit/TestPrograms.h"

#include <limits>
#include <random>

using namespace sstep;

TEST_CASE("cpu gradient kernels equal the reference's on random networks",
          "[backward]") {
  std::mt19937 rng(20261207);
  std::unique_ptr<train::GradKernels> cpu = train::gradKernels("cpu", 2);
  int checked = 0;
  for (uint32_t seed = 100; seed < 140; ++seed) {
    test::RandomCase c = test::randomTrainableCase(rng, seed);
    INFO("seed " << seed << "\n" << c.text);
    Program program = test::compileProgram(c.text);
    Tensor x = test::randomImage(rng, c.channels, c.image[0], c.image[1]);
    Tensor dy = reference::run(program, {x})[0];
    std::normal_distribution<float> normal;
    for (float &v : dy.data)
      v = normal(rng);

    train::BackwardOptions whole;
    train::Gradients want = train::backward(program, x, dy, whole);
    train::BackwardOptions tiled;
    tiled.tiles.edge = std::uniform_int_distribution<int64_t>(3, 13)(rng);
    tiled.kernels = cpu.get();
    train::Gradients got = train::backward(program, x, dy, tiled);
    CHECK(test::relativeError(want.input, got.input) <= 1e-4);
    REQUIRE(got.constants.size() == want.constants.size());
    for (const auto &[v, g] : want.constants) {
      INFO("constant '" << program.values[v].name << "'");
      CHECK(test::relativeError(g, got.constants.at(v)) <= 1e-4);
    }
    ++checked;
  }
  CHECK(checked == 40);
}

TEST_CASE("cpu max pools pick the reference's taps among ties and NaNs",
          "[backward]") {
  // Values of three levels tie in most windows; a NaN wins its windows.
  // Both pools' plane kernels (cpu/PoolGrad.h) must send each gradient to
  // the tap the reference picks: the first maximum in row-major order.
  Program program = test::compileProgram(R"(
func.func @main(%x: tensor<1x3x?x?xf32>) -> tensor<1x3x?x?xf32> {
  %a = sstep.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false} : tensor<1x3x?x?xf32> -> tensor<1x3x?x?xf32>
  %b = sstep.max_pool2d %a {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = true} : tensor<1x3x?x?xf32> -> tensor<1x3x?x?xf32>
  return %b : tensor<1x3x?x?xf32>
}
)");
  std::mt19937 rng(7);
  std::unique_ptr<train::GradKernels> cpu = train::gradKernels("cpu", 2);
  Tensor x({1, 3, 37, 29});
  std::uniform_int_distribution<int> level(0, 2);
  for (float &v : x.data)
    v = float(level(rng));
  x.data[5 * 29 + 11] = std::numeric_limits<float>::quiet_NaN();
  Tensor dy = reference::run(program, {x})[0];
  std::normal_distribution<float> normal;
  for (float &v : dy.data)
    v = normal(rng);
  train::Gradients want = train::backward(program, x, dy, {});
  for (int64_t edge : {0, 5, 11}) {
    INFO("tile edge " << edge);
    train::BackwardOptions tiled;
    tiled.tiles.edge = edge;
    tiled.kernels = cpu.get();
    train::Gradients got = train::backward(program, x, dy, tiled);
    REQUIRE(got.input.shape == want.input.shape);
    // Sums of at most four gradients, in float here and in double there.
    CHECK(test::relativeError(want.input, got.input) <= 1e-6);
    int64_t differ = 0;
    for (int64_t i = 0; i < want.input.size(); ++i)
      differ += (want.input.data[i] == 0) != (got.input.data[i] == 0);
    CHECK(differ == 0);
  }
}
