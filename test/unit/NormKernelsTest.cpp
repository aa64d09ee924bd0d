//===- NormKernelsTest.cpp - Global pools, softmax and normalisations -----===//
//
// Hand-computed results of the reference kernels that reduce over axes:
// global pools, softmax and log_softmax (stable for large inputs), instance
// and layer normalisation, and their errors, which name the node.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "KernelTestUtil.h"
#include "runtime/core/RuntimeError.h"

#include <cmath>
#include <limits>

using namespace sstep;
using sstep::test::iota;
using sstep::test::makeNode;
using sstep::test::runNode;
using Ints = std::vector<int64_t>;

TEST_CASE("global pools reduce each channel plane", "[reference][pool]") {
  Tensor x = iota({1, 2, 2, 2}); // planes 0..3 and 4..7
  Tensor avg = runNode(makeNode("global_avg_pool2d"), {x});
  CHECK(avg.shape == Shape{1, 2, 1, 1});
  CHECK(avg.data == sstep::FloatBuffer{1.5f, 5.5f});
  CHECK(runNode(makeNode("global_max_pool2d"), {x}).data ==
        sstep::FloatBuffer{3, 7});
  x.data[1] = std::numeric_limits<float>::quiet_NaN();
  CHECK(std::isnan(runNode(makeNode("global_max_pool2d"), {x}).data[0]));
}

TEST_CASE("softmax over channels, stable for large inputs",
          "[reference][norm]") {
  // Pixel 0 holds (0, ln 3): 1/4 and 3/4. Pixel 1 holds (1000, 1000), which
  // overflows exp without subtracting the maximum: 1/2 each.
  float ln3 = float(std::log(3.0));
  Tensor x({1, 2, 1, 2}, sstep::FloatBuffer{0, 1000, ln3, 1000});
  Tensor y = runNode(makeNode("softmax", {{"axes", Ints{1}}}), {x});
  CHECK(y.data[0] == Approx(0.25));
  CHECK(y.data[2] == Approx(0.75));
  CHECK(y.data[1] == Approx(0.5));
  CHECK(y.data[3] == Approx(0.5));
  Tensor l = runNode(makeNode("log_softmax", {{"axes", Ints{1}}}), {x});
  CHECK(l.data[0] == Approx(-std::log(4.0)));
  CHECK(l.data[2] == Approx(std::log(0.75)));
  CHECK(l.data[1] == Approx(-std::log(2.0)));
}

TEST_CASE("softmax over several axes (ONNX before opset 13)",
          "[reference][norm]") {
  // One group of e^0, e^ln3, e^0, e^0: 1/6, 3/6, 1/6, 1/6.
  float ln3 = float(std::log(3.0));
  Tensor x({1, 1, 2, 2}, sstep::FloatBuffer{0, ln3, 0, 0});
  Tensor y = runNode(makeNode("softmax", {{"axes", Ints{1, 2, 3}}}), {x});
  CHECK(y.data[0] == Approx(1.0 / 6));
  CHECK(y.data[1] == Approx(0.5));
  CHECK(y.data[3] == Approx(1.0 / 6));
  // Over W alone each row is its own group: (1/4, 3/4) and (1/2, 1/2).
  y = runNode(makeNode("softmax", {{"axes", Ints{3}}}), {x});
  CHECK(y.data[1] == Approx(0.75));
  CHECK(y.data[2] == Approx(0.5));
}

TEST_CASE("instance_norm normalises each channel plane", "[reference][norm]") {
  // Channel 0 = (1, 3): mean 2, variance 1; with epsilon 3 the deviation is
  // 2, so (-0.5, 0.5), times 2 plus 1. Channel 1 = (0, 4): mean 2, variance
  // 4 + 3 = 7 under the root.
  Tensor x({1, 2, 1, 2}, sstep::FloatBuffer{1, 3, 0, 4});
  Tensor scale({2}, sstep::FloatBuffer{2, 1});
  Tensor bias({2}, sstep::FloatBuffer{1, 0});
  Tensor y =
      runNode(makeNode("instance_norm", {{"epsilon", 3.0}}), {x, scale, bias});
  CHECK(y.data[0] == 0);
  CHECK(y.data[1] == 2);
  CHECK(y.data[2] == Approx(-2 / std::sqrt(7.0)));
  CHECK(y.data[3] == Approx(2 / std::sqrt(7.0)));
}

TEST_CASE("layer_norm over channels and over everything", "[reference][norm]") {
  // Over channels: pixel 0 holds (1, 3), pixel 1 (0, 4); each normalises to
  // (-1, 1) with epsilon 0, then channel 0 scales by 2, channel 1 by 3 + 10.
  Tensor x({1, 2, 1, 2}, sstep::FloatBuffer{1, 0, 3, 4});
  Tensor scale({2, 1, 1}, sstep::FloatBuffer{2, 3});
  Tensor bias({2, 1, 1}, sstep::FloatBuffer{0, 10});
  Node node = makeNode("layer_norm", {{"axes", Ints{1}}, {"epsilon", 0.0}});
  CHECK(runNode(node, {x, scale, bias}).data ==
        sstep::FloatBuffer{-2, -2, 13, 13});
  // Over C, H, W: mean 2, variance 2.5, + 1.5 = 4 under the root; a scalar
  // scale of 2 and no bias.
  node.attrs = {{"axes", Ints{1, 2, 3}}, {"epsilon", 1.5}};
  Tensor two({}, sstep::FloatBuffer{2});
  CHECK(runNode(node, {x, two}).data == sstep::FloatBuffer{-1, -2, 1, 2});
}

TEST_CASE("normalisation errors name the node", "[reference][errors]") {
  CHECK_THROWS_WITH(
      runNode(makeNode("softmax", {{"axes", Ints{2, 1}}}),
              {Tensor({1, 2, 2, 2})}),
      Catch::Contains("node 'n1' (sstep.softmax)") &&
          Catch::Contains("axes [2, 1] are not strictly increasing"));
  CHECK_THROWS_WITH(runNode(makeNode("instance_norm", {{"epsilon", 0.0}}),
                            {Tensor({1, 2, 2, 2}), Tensor({3}), Tensor({2})}),
                    Catch::Contains("node 'n1'") &&
                        Catch::Contains("does not match scale"));
  CHECK_THROWS_WITH(
      runNode(makeNode("layer_norm", {{"axes", Ints{1}}, {"epsilon", 0.0}}),
              {Tensor({1, 2, 2, 3}), Tensor({2})}),
      Catch::Contains("node 'n1'") &&
          Catch::Contains("scale 2 does not broadcast to 1x2x2x3"));
  CHECK_THROWS_WITH(runNode(makeNode("global_avg_pool2d"), {Tensor({1, 2, 3})}),
                    Catch::Contains("node 'n1'") &&
                        Catch::Contains("expected rank 4"));
}
