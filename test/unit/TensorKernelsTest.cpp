//===- TensorKernelsTest.cpp - Data movement, products, prelu and pow -----===//
//
// Hand-computed results of the reference kernels for concat, flatten,
// reshape, transpose, gemm, matmul, prelu and pow, and their errors, which
// name the node.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "KernelTestUtil.h"
#include "runtime/core/RuntimeError.h"

#include <cmath>

using namespace sstep;
using sstep::test::iota;
using sstep::test::makeNode;
using sstep::test::runNode;
using Ints = std::vector<int64_t>;

TEST_CASE("concat along channels and along W", "[reference][tensor]") {
  Tensor a = iota({1, 1, 2, 2}), b = iota({1, 2, 2, 2}, 10);
  Tensor y = runNode(makeNode("concat", {{"axis", int64_t(1)}}), {a, b});
  CHECK(y.shape == Shape{1, 3, 2, 2});
  CHECK(y.data ==
        sstep::FloatBuffer{0, 1, 2, 3, 10, 11, 12, 13, 14, 15, 16, 17});
  // Along W each row is a's row, then b's: [0 | 10 11], [1 | 12 13].
  Tensor c = iota({1, 1, 2, 1}), d = iota({1, 1, 2, 2}, 10);
  y = runNode(makeNode("concat", {{"axis", int64_t(3)}}), {c, d});
  CHECK(y.shape == Shape{1, 1, 2, 3});
  CHECK(y.data == sstep::FloatBuffer{0, 10, 11, 1, 12, 13});
}

TEST_CASE("flatten, reshape and transpose", "[reference][tensor]") {
  Tensor x = iota({1, 2, 3, 2});
  Tensor f = runNode(makeNode("flatten", {{"axis", int64_t(2)}}), {x});
  CHECK(f.shape == Shape{2, 6});
  CHECK(f.data == x.data);

  // 0 copies the input's dimension, -1 takes the rest.
  Node reshape = makeNode(
      "reshape", {{"shape", Ints{0, 0, -1}}, {"allowzero", int64_t(0)}});
  CHECK(runNode(reshape, {x}).shape == Shape{1, 2, 6});
  reshape.attrs["shape"] = Ints{0, -1};
  CHECK(runNode(reshape, {x}).shape == Shape{1, 12});
  // With allowzero, 0 is a dimension of size 0.
  reshape.attrs = {{"shape", Ints{3, 0}}, {"allowzero", int64_t(1)}};
  CHECK(runNode(reshape, {Tensor({0, 3})}).shape == Shape{3, 0});

  // [[0 1 2] [3 4 5]] transposed.
  Tensor t = runNode(makeNode("transpose", {{"perm", Ints{0, 2, 1}}}),
                     {iota({1, 2, 3})});
  CHECK(t.shape == Shape{1, 3, 2});
  CHECK(t.data == sstep::FloatBuffer{0, 3, 1, 4, 2, 5});
}

TEST_CASE("channel shuffle deals each group's channels out in turn",
          "[reference][tensor]") {
  // Six channels of one pixel each, in 2 groups of 3: [0 1 2 | 3 4 5] become
  // 0 3 1 4 2 5; in 3 groups of 2: [0 1 | 2 3 | 4 5] become 0 2 4 1 3 5.
  Tensor x = iota({1, 6, 1, 1});
  CHECK(runNode(makeNode("channel_shuffle", {{"groups", int64_t(2)}}), {x})
            .data == sstep::FloatBuffer{0, 3, 1, 4, 2, 5});
  CHECK(runNode(makeNode("channel_shuffle", {{"groups", int64_t(3)}}), {x})
            .data == sstep::FloatBuffer{0, 2, 4, 1, 3, 5});
  // Whole planes move: channel 1 of the result is channel 2 of the input.
  Tensor y = iota({1, 4, 2, 3});
  Tensor s =
      runNode(makeNode("channel_shuffle", {{"groups", int64_t(2)}}), {y});
  CHECK(sstep::FloatBuffer(s.data.begin() + 6, s.data.begin() + 12) ==
        sstep::FloatBuffer(y.data.begin() + 12, y.data.begin() + 18));
  CHECK_THROWS_WITH(
      runNode(makeNode("channel_shuffle", {{"groups", int64_t(4)}}), {x}),
      Catch::Contains("cannot shuffle 1x6x1x1 in 4 groups"));
}

TEST_CASE("slice takes strided ranges with ONNX's clamping",
          "[reference][tensor]") {
  Tensor x = iota({1, 4, 2, 3});
  auto slice = [&](Ints starts, Ints ends, Ints axes, Ints steps) {
    return runNode(makeNode("slice", {{"starts", starts},
                                      {"ends", ends},
                                      {"axes", axes},
                                      {"steps", steps}}),
                   {x});
  };
  // The second half of the channels (x.chunk(2, dim=1)[1]).
  Tensor c = slice({2}, {INT64_MAX}, {1}, {1});
  CHECK(c.shape == Shape{1, 2, 2, 3});
  CHECK(c.data.front() == 12);
  CHECK(c.data.back() == 23);
  // Columns backwards from the last, every other one: 2, 0.
  Tensor w = slice({-1}, {-10}, {3}, {-2});
  CHECK(w.shape == Shape{1, 4, 2, 2});
  CHECK(sstep::FloatBuffer(w.data.begin(), w.data.begin() + 4) ==
        sstep::FloatBuffer{2, 0, 5, 3});
  // Two axes at once; an empty range.
  Tensor b = slice({1, 1}, {3, 2}, {1, 2}, {1, 1});
  CHECK(b.shape == Shape{1, 2, 1, 3});
  CHECK(b.data == sstep::FloatBuffer{9, 10, 11, 15, 16, 17});
  CHECK(slice({3}, {1}, {1}, {1}).shape == Shape{1, 0, 2, 3});
}

TEST_CASE("gemm with alpha, beta, transposes and a broadcast C",
          "[reference][matrix]") {
  // A = [[0 1 2] [3 4 5]], B = [[1 0] [0 1] [1 1]]: AB = [[2 3] [8 9]];
  // 2 * AB + 0.5 * [10 20] = [[9 16] [21 28]].
  Tensor a = iota({2, 3});
  Tensor b({3, 2}, sstep::FloatBuffer{1, 0, 0, 1, 1, 1});
  Tensor c({2}, sstep::FloatBuffer{10, 20});
  Node gemm = makeNode("gemm", {{"alpha", 2.0},
                                {"beta", 0.5},
                                {"transA", int64_t(0)},
                                {"transB", int64_t(0)}});
  const sstep::FloatBuffer expected = {9, 16, 21, 28};
  CHECK(runNode(gemm, {a, b, c}).data == expected);
  Tensor aT({3, 2}, sstep::FloatBuffer{0, 3, 1, 4, 2, 5});
  Tensor bT({2, 3}, sstep::FloatBuffer{1, 0, 1, 0, 1, 1});
  gemm.attrs["transA"] = int64_t(1);
  gemm.attrs["transB"] = int64_t(1);
  CHECK(runNode(gemm, {aT, bT, c}).data == expected);
  // Without C, beta has nothing to scale.
  CHECK(runNode(gemm, {aT, bT}).data == sstep::FloatBuffer{4, 6, 16, 18});
}

TEST_CASE("matmul broadcasts batches and promotes 1-D operands",
          "[reference][matrix]") {
  // [[1 2]] and [[3 4]] times [1 10]^T.
  Tensor a = iota({2, 1, 2}, 1), b({2, 1}, sstep::FloatBuffer{1, 10});
  Tensor y = runNode(makeNode("matmul"), {a, b});
  CHECK(y.shape == Shape{2, 1, 1});
  CHECK(y.data == sstep::FloatBuffer{21, 43});
  // [1 2] times [[1 2 3] [4 5 6]] = [9 12 15], the row dimension dropped.
  Tensor v({2}, sstep::FloatBuffer{1, 2});
  y = runNode(makeNode("matmul"), {v, iota({2, 3}, 1)});
  CHECK(y.shape == Shape{3});
  CHECK(y.data == sstep::FloatBuffer{9, 12, 15});
}

TEST_CASE("prelu takes a per-channel slope; pow a constant exponent",
          "[reference][pointwise]") {
  Tensor x({1, 2, 1, 2}, sstep::FloatBuffer{-2, 4, -6, 8});
  Tensor slope({2, 1, 1}, sstep::FloatBuffer{0.5f, 0.25f});
  CHECK(runNode(makeNode("prelu"), {x, slope}).data ==
        sstep::FloatBuffer{-1, 4, -1.5f, 8});

  Tensor p({3}, sstep::FloatBuffer{-2, 0.5f, 4});
  CHECK(runNode(makeNode("pow", {{"exponent", 2.0}}), {p}).data ==
        sstep::FloatBuffer{4, 0.25f, 16});
  Tensor root = runNode(makeNode("pow", {{"exponent", 0.5}}), {p});
  CHECK(std::isnan(root.data[0])); // as powf: a negative base, no real root
  CHECK(root.data[2] == 2);
}

TEST_CASE("shape errors name the node", "[reference][errors]") {
  auto fails = [](const Node &node, const std::vector<Tensor> &in,
                  const char *what) {
    CHECK_THROWS_WITH(runNode(node, in),
                      Catch::Contains("node 'n1'") && Catch::Contains(what));
  };
  fails(makeNode("concat", {{"axis", int64_t(1)}}),
        {Tensor({1, 2, 3, 3}), Tensor({1, 2, 3})},
        "input 1 has rank 3, input 0 has rank 4");
  fails(makeNode("concat", {{"axis", int64_t(1)}}),
        {Tensor({1, 2, 3, 3}), Tensor({1, 2, 4, 3})},
        "differs from input 0 (1x2x3x3) outside axis 1");
  fails(
      makeNode("reshape", {{"shape", Ints{5, -1}}, {"allowzero", int64_t(0)}}),
      {Tensor({1, 2, 3, 2})}, "cannot reshape 1x2x3x2 (12 elements)");
  fails(makeNode("transpose", {{"perm", Ints{0, 0}}}), {Tensor({2, 2})},
        "perm is not a permutation");
  fails(makeNode("gemm", {{"alpha", 1.0},
                          {"beta", 1.0},
                          {"transA", int64_t(0)},
                          {"transB", int64_t(0)}}),
        {Tensor({2, 3}), Tensor({3, 2}), Tensor({3})},
        "C 3 does not broadcast to 2x2");
  fails(makeNode("matmul"), {Tensor({2, 3}), Tensor({2, 3})},
        "contracted dimensions differ: 2x3 times 2x3");
  fails(makeNode("prelu"), {Tensor({1, 2, 2, 2}), Tensor({3, 1, 1})},
        "slope 3x1x1 does not broadcast to 1x2x2x2");
}
