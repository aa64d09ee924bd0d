//===- WholeTensorOpsTest.cpp - once-run nodes on oneDNN vs the oracle ----===//
//
// A ViT's encoder runs as nodes on whole token matrices (runOnce). Each op
// the cpu backend hands to oneDNN must equal the reference kernel, with the
// shapes a ViT gives it: batch dimensions broadcast in matmuls, a Gemm with
// a transposed weight and a bias, softmax over the last axis, layer norm
// with and without a shift, binaries broadcast from either side, GELU,
// transposes and slices (strided reorders). What oneDNN cannot take (a
// matrix-vector product, a reversed slice) must be declined, not wrong.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/cpu/Fusion.h"
#include "runtime/cpu/WholeTensorOps.h"
#include "test/unit/KernelTestUtil.h"
#include "test/unit/TestPrograms.h"

#include <random>

using namespace sstep;
using test::makeNode;
using test::relativeError;

namespace {

Tensor random(std::mt19937 &rng, Shape shape) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Tensor t(std::move(shape));
  for (float &v : t.data)
    v = u(rng);
  return t;
}

/// The op on oneDNN, checked against the reference kernel.
void checkAgainstReference(const Node &node, const std::vector<Tensor> &in) {
  cpu::Device device;
  std::vector<const Tensor *> operands;
  for (const Tensor &t : in)
    operands.push_back(&t);
  Program program = test::oneNode(node, [&] {
    std::vector<Shape> shapes;
    for (const Tensor &t : in)
      shapes.push_back(t.shape);
    return shapes;
  }());
  std::optional<Tensor> got =
      cpu::runWholeTensorOp(device, &program, program.nodes[0], operands);
  REQUIRE(got);
  Tensor want = test::runNode(node, in);
  CHECK(got->shape == want.shape);
  CHECK(relativeError(want, *got) <= 1e-5);
}

} // namespace

TEST_CASE("once-run nodes on oneDNN equal the reference kernels", "[cpu]") {
  std::mt19937 rng(5);
  SECTION("attention scores: a batch of matmuls of two activations") {
    checkAgainstReference(makeNode("matmul"),
                          {random(rng, {12, 17, 8}), random(rng, {12, 8, 17})});
  }
  SECTION("a token matrix times a weight: batch dimensions broadcast") {
    checkAgainstReference(makeNode("matmul"),
                          {random(rng, {17, 1, 32}), random(rng, {32, 96})});
    checkAgainstReference(makeNode("matmul"),
                          {random(rng, {2, 1, 5, 4}), random(rng, {3, 4, 6})});
  }
  SECTION("a Linear: Gemm with a transposed weight and a bias") {
    Node gemm = makeNode("gemm", {{"alpha", 1.0},
                                  {"beta", 1.0},
                                  {"transA", int64_t(0)},
                                  {"transB", int64_t(1)}});
    checkAgainstReference(gemm, {random(rng, {17, 32}), random(rng, {24, 32}),
                                 random(rng, {24})});
    checkAgainstReference(gemm, {random(rng, {17, 32}), random(rng, {24, 32})});
  }
  SECTION("softmax and log softmax over the last axis") {
    for (const char *op : {"softmax", "log_softmax"})
      checkAgainstReference(makeNode(op, {{"axes", std::vector<int64_t>{2}}}),
                            {random(rng, {3, 17, 17})});
  }
  SECTION("layer norm over the last axis, with and without a shift") {
    Node norm = makeNode(
        "layer_norm", {{"axes", std::vector<int64_t>{2}}, {"epsilon", 1e-6}});
    checkAgainstReference(
        norm, {random(rng, {1, 17, 32}), random(rng, {32}), random(rng, {32})});
    checkAgainstReference(norm, {random(rng, {1, 17, 32}), random(rng, {32})});
  }
  SECTION("token transposes and slices: one strided reorder each") {
    checkAgainstReference(
        makeNode("transpose", {{"perm", std::vector<int64_t>{1, 0, 2}}}),
        {random(rng, {17, 2, 16})});
    checkAgainstReference(
        makeNode("transpose", {{"perm", std::vector<int64_t>{2, 0, 3, 1, 4}}}),
        {random(rng, {2, 5, 3, 4, 6})});
    // q, k and v from one projection; a stepped slice of two axes.
    checkAgainstReference(
        makeNode("slice", {{"starts", std::vector<int64_t>{32}},
                           {"ends", std::vector<int64_t>{64}},
                           {"axes", std::vector<int64_t>{2}},
                           {"steps", std::vector<int64_t>{1}}}),
        {random(rng, {17, 1, 96})});
    checkAgainstReference(
        makeNode("slice", {{"starts", std::vector<int64_t>{1, -7}},
                           {"ends", std::vector<int64_t>{100, 9}},
                           {"axes", std::vector<int64_t>{0, 2}},
                           {"steps", std::vector<int64_t>{3, 2}}}),
        {random(rng, {10, 3, 12})});
  }
  SECTION("binaries broadcast from either side, GELU") {
    checkAgainstReference(makeNode("add"),
                          {random(rng, {1, 17, 32}), random(rng, {1, 17, 32})});
    checkAgainstReference(makeNode("add"),
                          {random(rng, {32}), random(rng, {1, 17, 32})});
    checkAgainstReference(makeNode("div"),
                          {random(rng, {2, 17, 8}), random(rng, {1})});
    checkAgainstReference(makeNode("gelu"), {random(rng, {1, 17, 64})});
  }
}

TEST_CASE("once-run nodes oneDNN cannot take are declined", "[cpu]") {
  std::mt19937 rng(6);
  cpu::Device device;
  Tensor m = random(rng, {4, 3}), v = random(rng, {3});
  // A matrix-vector product, a broadcast first operand of a subtraction
  // and a reversed slice: the reference kernels run them.
  Node matvec = makeNode("matmul");
  matvec.results = {0};
  CHECK_FALSE(cpu::runWholeTensorOp(device, nullptr, matvec, {&m, &v}));
  Tensor row = random(rng, {3}), full = random(rng, {4, 3});
  Node sub = makeNode("sub");
  sub.results = {0};
  CHECK_FALSE(cpu::runWholeTensorOp(device, nullptr, sub, {&row, &full}));
  Node reversed = makeNode("slice", {{"starts", std::vector<int64_t>{-1}},
                                     {"ends", std::vector<int64_t>{-100}},
                                     {"axes", std::vector<int64_t>{1}},
                                     {"steps", std::vector<int64_t>{-1}}});
  reversed.results = {0};
  CHECK_FALSE(cpu::runWholeTensorOp(device, nullptr, reversed, {&full}));
}
