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
