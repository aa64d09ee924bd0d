//===- CpuBackendTest.cpp - the oneDNN backend against the oracle ---------===//
//
// The CPU backend (oneDNN primitives, fused post-ops, blocked layouts) must
// equal the reference backend's whole-image result within 1e-4 of the
// output's largest magnitude (fp32 against fp64 accumulation), tiled and
// whole, on the random networks of the tiling property test. Directed cases
// check that the fast paths are really taken: fused convolutions, oneDNN
// pooling, and no silent fallback to the reference kernels.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/cpu/Blocks.h"
#include "runtime/cpu/CpuBackend.h"
#include "runtime/exec/Executor.h"
#include "runtime/reference/Interpreter.h"
#include "test/unit/RandomNet.h"
#include "test/unit/TestPrograms.h"

#include <cmath>
#include <functional>
#include <map>
#include <random>

using namespace sstep;
using test::compileProgram;
using test::randomImage;
using test::relativeError;

namespace {

std::vector<Tensor> runCpu(const Program &program, const Tensor &x,
                           int64_t edge, cpu::CpuBackend &backend) {
  exec::Options options;
  options.tileEdge = edge;
  return exec::execute(program, backend, {x}, options);
}

using Counters = std::map<std::string, int64_t>;

/// `program` on the cpu backend at each tile edge (0: whole), every output
/// against the reference's whole image within `tolerance`; `check` then
/// sees the run's counters and its tile edge.
void checkEdges(const Program &program, const Tensor &x,
                std::initializer_list<int64_t> edges, double tolerance,
                const std::function<void(Counters &, int64_t)> &check) {
  std::vector<Tensor> whole = reference::run(program, {x});
  for (int64_t edge : edges) {
    INFO("tile edge " << edge);
    cpu::CpuBackend backend;
    std::vector<Tensor> got = runCpu(program, x, edge, backend);
    REQUIRE(got.size() == whole.size());
    for (size_t i = 0; i < whole.size(); ++i) {
      INFO("output " << i);
      REQUIRE(got[i].shape == whole[i].shape);
      CHECK(relativeError(whole[i], got[i]) <= tolerance);
    }
    Counters counts = backend.counters();
    check(counts, edge);
  }
}

} // namespace

TEST_CASE("cpu backend equals the reference on random networks", "[cpu]") {
  std::mt19937 rng(20261124);
  for (uint32_t seed = 1; seed <= 120; ++seed) {
    test::RandomCase c = test::randomTilingCase(rng, seed);
    const std::array<int64_t, 2> &image = c.image;
    const int64_t channels = c.channels;
    const std::string &text = c.text;
    INFO("seed " << seed << ", image " << image[0] << "x" << image[1] << "\n"
                 << text);
    Program program = compileProgram(text);
    Tensor x = randomImage(rng, channels, image[0], image[1]);
    std::vector<Tensor> whole = reference::run(program, {x});
    for (int64_t edge :
         {int64_t(0), std::uniform_int_distribution<int64_t>(1, 9)(rng)}) {
      INFO("tile edge " << edge);
      cpu::CpuBackend backend;
      std::vector<Tensor> got = runCpu(program, x, edge, backend);
      REQUIRE(got.size() == whole.size());
      for (size_t i = 0; i < whole.size(); ++i) {
        REQUIRE(got[i].shape == whole[i].shape);
        CHECK(relativeError(whole[i], got[i]) <= 1e-4);
      }
    }
  }
}

TEST_CASE("cpu backend fuses a residual block into one convolution", "[cpu]") {
  // relu(conv(x) + x) then a max pool: one fused step and one pooling.
  const char *text = R"(
func.func @main(%x: tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32> {
  %w = arith.constant dense<0.05> : tensor<8x8x3x3xf32>
  %b = arith.constant dense<0.1> : tensor<8xf32>
  %c = sstep.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x?x?xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x?x?xf32>
  %s = sstep.add %c, %x : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  %r = sstep.relu %s : tensor<1x8x?x?xf32>
  %p = sstep.max_pool2d %r {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x8x?x?xf32> -> tensor<1x8x?x?xf32>
  return %p : tensor<1x8x?x?xf32>
}
)";
  Program program = compileProgram(text);
  std::mt19937 rng(5);
  Tensor x = randomImage(rng, 8, 33, 29);
  checkEdges(program, x, {0, 7, 16}, 1e-5, [](Counters &counts, int64_t) {
    CHECK(counts["fused_steps"] > 0);
    CHECK(counts["reference_nodes"] == 0);
    // conv+add+relu and the pool, per tile.
    CHECK(counts["onednn_nodes"] % 4 == 0);
  });
}

TEST_CASE("cpu backend sums a dying residual in place", "[cpu]") {
  // A bottleneck: %a feeds two convolutions and is added to the second's
  // output. When that sum is %a's last read, the convolution accumulates
  // into %a's own block; when %a is read once more (%t), into a copy.
  auto program = [](bool readAgain) {
    std::string text = R"(
func.func @main(%x: tensor<1x3x?x?xf32>) -> tensor<1x8x?x?xf32> {
  %w0 = arith.constant dense<0.2> : tensor<8x3x3x3xf32>
  %w1 = arith.constant dense<0.05> : tensor<8x8x3x3xf32>
  %w2 = arith.constant dense<-0.04> : tensor<8x8x1x1xf32>
  %a = sstep.conv2d %x, %w0 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  %b = sstep.conv2d %a, %w1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x?x?xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32>
  %c = sstep.conv2d %b, %w2 : (tensor<1x8x?x?xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x?x?xf32>
  %s = sstep.add %c, %a : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
)";
    text +=
        readAgain
            ? R"(  %t = sstep.mul %s, %a : (tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>) -> tensor<1x8x?x?xf32>
  return %t : tensor<1x8x?x?xf32>
}
)"
            : R"(  return %s : tensor<1x8x?x?xf32>
}
)";
    return compileProgram(text);
  };
  std::mt19937 rng(17);
  Tensor x = randomImage(rng, 3, 27, 31);
  for (bool readAgain : {false, true}) {
    INFO("read again " << readAgain);
    checkEdges(program(readAgain), x, {0, 8}, 1e-5,
               [&](Counters &counts, int64_t edge) {
                 CHECK(counts["reference_nodes"] == 0);
                 // Whole, %a's block is exactly the sum's region; tiled it
                 // is wider (%b reads a halo of it) and is copied.
                 if (readAgain || edge > 0)
                   CHECK(counts["in_place_sums"] == 0);
                 else
                   CHECK(counts["in_place_sums"] == 1);
               });
  }
}

TEST_CASE("cpu backend runs scalar arithmetic and log on oneDNN", "[cpu]") {
  // An RGB preprocessing prefix, log(x * a + b) - c, a conv y to 5 channels
  // (padded to the block) that is also an output, so that the log after it
  // runs on its own on padded channels, then a conv over log(y). The scalar
  // ops become oneDNN linear eltwise and nothing falls back to the reference
  // kernels. (oneDNN's conv here does not read the padding, so that the
  // log leaves it zero is checked on the block itself, below.)
  const char *text = R"(
func.func @main(%x: tensor<1x3x?x?xf32>) -> (tensor<1x2x?x?xf32>, tensor<1x5x?x?xf32>) {
  %a = arith.constant dense<0.9> : tensor<f32>
  %b = arith.constant dense<1.5> : tensor<f32>
  %c = arith.constant dense<0.25> : tensor<f32>
  %d = arith.constant dense<4.0> : tensor<f32>
  %w = arith.constant dense<0.2> : tensor<5x3x3x3xf32>
  %bias = arith.constant dense<5.0> : tensor<5xf32>
  %w2 = arith.constant dense<0.1> : tensor<2x5x3x3xf32>
  %0 = sstep.mul %x, %a : (tensor<1x3x?x?xf32>, tensor<f32>) -> tensor<1x3x?x?xf32>
  %1 = sstep.add %0, %b : (tensor<1x3x?x?xf32>, tensor<f32>) -> tensor<1x3x?x?xf32>
  %2 = sstep.log %1 : tensor<1x3x?x?xf32>
  %3 = sstep.sub %2, %c : (tensor<1x3x?x?xf32>, tensor<f32>) -> tensor<1x3x?x?xf32>
  %4 = sstep.conv2d %3, %w, %bias {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<5x3x3x3xf32>, tensor<5xf32>) -> tensor<1x5x?x?xf32>
  %5 = sstep.log %4 : tensor<1x5x?x?xf32>
  %7 = sstep.conv2d %5, %w2 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x5x?x?xf32>, tensor<2x5x3x3xf32>) -> tensor<1x2x?x?xf32>
  %8 = sstep.div %7, %d : (tensor<1x2x?x?xf32>, tensor<f32>) -> tensor<1x2x?x?xf32>
  %9 = sstep.sigmoid %8 : tensor<1x2x?x?xf32>
  return %9, %4 : tensor<1x2x?x?xf32>, tensor<1x5x?x?xf32>
}
)";
  Program program = compileProgram(text);
  std::mt19937 rng(9);
  Tensor x = randomImage(rng, 3, 37, 41);
  checkEdges(program, x, {0, 9, 16}, 1e-5, [](Counters &counts, int64_t) {
    CHECK(counts["reference_nodes"] == 0);
    // The division and sigmoid ride on the second convolution as post-ops.
    CHECK(counts["fused_steps"] > 0);
  });
}

TEST_CASE("cpu backend runs layer norms over channels in the block's layout",
          "[cpu]") {
  // ConvNeXt's LayerNorm: one on the plain input (20 channels, NCHW), one
  // on a convolution's output (blocked, 20 channels padded to the block),
  // each scaled and shifted per channel, then a GELU. The convolution's
  // per-channel bias makes its channels differ, so the norm has work to do.
  std::mt19937 rng(31);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  auto values = [&](const char *open, const char *close) {
    std::string s;
    for (int c = 0; c < 20; ++c)
      s += (c ? ", " : "") + std::string(open) + std::to_string(u(rng)) + close;
    return "[" + s + "]";
  };
  std::string text = R"(
func.func @main(%x: tensor<1x20x?x?xf32>) -> tensor<1x20x?x?xf32> {
  %g = arith.constant dense<)" +
                     values("[[", "]]") +
                     R"(> : tensor<20x1x1xf32>
  %h = arith.constant dense<)" +
                     values("[[", "]]") +
                     R"(> : tensor<20x1x1xf32>
  %bias = arith.constant dense<)" +
                     values("", "") +
                     R"(> : tensor<20xf32>
  %w = arith.constant dense<0.05> : tensor<20x20x3x3xf32>
  %0 = sstep.layer_norm %x, %g, %h {axes = array<i64: 1>, epsilon = 1.0e-06 : f32} : (tensor<1x20x?x?xf32>, tensor<20x1x1xf32>, tensor<20x1x1xf32>) -> tensor<1x20x?x?xf32>
  %1 = sstep.conv2d %0, %w, %bias {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x20x?x?xf32>, tensor<20x20x3x3xf32>, tensor<20xf32>) -> tensor<1x20x?x?xf32>
  %2 = sstep.layer_norm %1, %h, %g {axes = array<i64: 1>, epsilon = 1.0e-06 : f32} : (tensor<1x20x?x?xf32>, tensor<20x1x1xf32>, tensor<20x1x1xf32>) -> tensor<1x20x?x?xf32>
  %3 = sstep.gelu %2 : tensor<1x20x?x?xf32>
  return %3 : tensor<1x20x?x?xf32>
}
)";
  INFO(text);
  Program program = compileProgram(text);
  Tensor x = randomImage(rng, 20, 23, 31);
  checkEdges(program, x, {0, 7, 16}, 1e-5, [](Counters &counts, int64_t) {
    CHECK(counts["reference_nodes"] == 0);
    CHECK(counts["native_nodes"] > 0);
  });
}

TEST_CASE("cpu backend resizes blocks in their own layout", "[cpu]") {
  // A linear resize by 1.5 of the plain RGB input (half-pixel centres), a
  // convolution to 20 channels (blocked, padded), a nearest resize by 2
  // (asymmetric, floor: a U-Net's Upsample) and a linear one to the size
  // of the first (align_corners), each tiled so that blocks start at odd
  // rows.
  const char *text = R"(
func.func @main(%x: tensor<1x3x?x?xf32>) -> tensor<1x20x?x?xf32> {
  %bias = arith.constant dense<[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, 1.1, -1.2, 1.3, 1.4, 1.5, -1.6, 1.7, 1.8, -1.9, 2.0]> : tensor<20xf32>
  %w = arith.constant dense<0.05> : tensor<20x3x3x3xf32>
  %0 = sstep.resize2d %x {mode = "linear", coordinate_mode = "half_pixel", scales = array<f64: 1.5, 1.5>} : (tensor<1x3x?x?xf32>) -> tensor<1x3x?x?xf32>
  %1 = sstep.conv2d %0, %w, %bias {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<20x3x3x3xf32>, tensor<20xf32>) -> tensor<1x20x?x?xf32>
  %2 = sstep.resize2d %1 {coordinate_mode = "asymmetric", nearest_mode = "floor", scales = array<f64: 2.0, 2.0>} : (tensor<1x20x?x?xf32>) -> tensor<1x20x?x?xf32>
  %3 = sstep.resize2d %2 like %1 {mode = "linear", coordinate_mode = "align_corners"} : (tensor<1x20x?x?xf32>, tensor<1x20x?x?xf32>) -> tensor<1x20x?x?xf32>
  return %3 : tensor<1x20x?x?xf32>
}
)";
  Program program = compileProgram(text);
  std::mt19937 rng(41);
  Tensor x = randomImage(rng, 3, 19, 25);
  checkEdges(program, x, {0, 7, 16}, 1e-6, [](Counters &counts, int64_t) {
    CHECK(counts["reference_nodes"] == 0);
    CHECK(counts["native_nodes"] > 0);
  });
}

TEST_CASE("cpu backend slices and shuffles channels in the block's layout",
          "[cpu]") {
  // ShuffleNet's split of 48 channels at 24 (not a block boundary), every
  // other channel of a convolution's output from 5 on, a slice of the
  // plain input, and a shuffle of the split in three groups; each feeds a
  // convolution, so a wrong lane shows.
  const char *text = R"(
func.func @main(%x: tensor<1x6x?x?xf32>) -> (tensor<1x4x?x?xf32>, tensor<1x4x?x?xf32>, tensor<1x4x?x?xf32>, tensor<1x4x?x?xf32>) {
  %bias = arith.constant dense<[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, 1.1, -1.2, 1.3, 1.4, 1.5, -1.6, 1.7, 1.8, -1.9, 2.0, 0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, 1.1, -1.2, 1.3, 1.4, 1.5, -1.6, 1.7, 1.8, -1.9, 2.0, 2.1, 2.2, -2.3, 2.4, 2.5, 2.6, -2.7, 2.8]> : tensor<48xf32>
  %w = arith.constant dense<0.05> : tensor<48x6x3x3xf32>
  %ramp = arith.constant dense<[[[[1.0]], [[2.0]], [[3.0]], [[4.0]], [[5.0]], [[6.0]], [[7.0]], [[8.0]], [[9.0]], [[10.0]], [[11.0]], [[12.0]], [[13.0]], [[14.0]], [[15.0]], [[16.0]], [[17.0]], [[18.0]], [[19.0]], [[20.0]], [[21.0]], [[22.0]], [[23.0]], [[24.0]]], [[[-1.0]], [[2.0]], [[-3.0]], [[4.0]], [[-5.0]], [[6.0]], [[-7.0]], [[8.0]], [[-9.0]], [[10.0]], [[-11.0]], [[12.0]], [[-13.0]], [[14.0]], [[-15.0]], [[16.0]], [[-17.0]], [[18.0]], [[-19.0]], [[20.0]], [[-21.0]], [[22.0]], [[-23.0]], [[24.0]]], [[[0.5]], [[0.0]], [[0.5]], [[0.0]], [[0.5]], [[0.0]], [[0.5]], [[0.0]], [[0.5]], [[0.0]], [[0.5]], [[0.0]], [[0.5]], [[0.0]], [[0.5]], [[0.0]], [[0.5]], [[0.0]], [[0.5]], [[0.0]], [[0.5]], [[0.0]], [[0.5]], [[1.0]]], [[[3.0]], [[1.0]], [[4.0]], [[1.0]], [[5.0]], [[9.0]], [[2.0]], [[6.0]], [[5.0]], [[3.0]], [[5.0]], [[8.0]], [[9.0]], [[7.0]], [[9.0]], [[3.0]], [[2.0]], [[3.0]], [[8.0]], [[4.0]], [[6.0]], [[2.0]], [[6.0]], [[4.0]]]]> : tensor<4x24x1x1xf32>
  %w3 = arith.constant dense<0.3> : tensor<4x3x1x1xf32>
  %0 = sstep.conv2d %x, %w, %bias {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x6x?x?xf32>, tensor<48x6x3x3xf32>, tensor<48xf32>) -> tensor<1x48x?x?xf32>
  %1 = sstep.slice %0 {axes = array<i64: 1>, ends = array<i64: 48>, starts = array<i64: 24>, steps = array<i64: 1>} : tensor<1x48x?x?xf32> -> tensor<1x24x?x?xf32>
  %2 = sstep.slice %0 {axes = array<i64: 1>, ends = array<i64: 100>, starts = array<i64: 5>, steps = array<i64: 2>} : tensor<1x48x?x?xf32> -> tensor<1x22x?x?xf32>
  %3 = sstep.slice %x {axes = array<i64: 1>, ends = array<i64: -1>, starts = array<i64: 2>, steps = array<i64: 1>} : tensor<1x6x?x?xf32> -> tensor<1x3x?x?xf32>
  %4 = sstep.conv2d %1, %ramp : (tensor<1x24x?x?xf32>, tensor<4x24x1x1xf32>) -> tensor<1x4x?x?xf32>
  %5 = sstep.slice %2 {axes = array<i64: 1>, ends = array<i64: 3>, starts = array<i64: 0>, steps = array<i64: 1>} : tensor<1x22x?x?xf32> -> tensor<1x3x?x?xf32>
  %6 = sstep.conv2d %5, %w3 : (tensor<1x3x?x?xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x?x?xf32>
  %7 = sstep.conv2d %3, %w3 : (tensor<1x3x?x?xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x?x?xf32>
  %8 = sstep.channel_shuffle %1 {groups = 3 : i64} : tensor<1x24x?x?xf32>
  %9 = sstep.conv2d %8, %ramp : (tensor<1x24x?x?xf32>, tensor<4x24x1x1xf32>) -> tensor<1x4x?x?xf32>
  return %4, %6, %7, %9 : tensor<1x4x?x?xf32>, tensor<1x4x?x?xf32>, tensor<1x4x?x?xf32>, tensor<1x4x?x?xf32>
}
)";
  Program program = compileProgram(text);
  std::mt19937 rng(43);
  Tensor x = randomImage(rng, 6, 21, 26);
  checkEdges(program, x, {0, 7, 16}, 1e-5, [](Counters &counts, int64_t) {
    CHECK(counts["reference_nodes"] == 0);
    CHECK(counts["native_nodes"] > 0);
  });
}

TEST_CASE("cpu backend applies a gate from either side on oneDNN", "[cpu]") {
  // Squeeze-and-excitation as MobileNetV3 exports it, gate on the left
  // (mul(gate, x)), and an add of a per-channel vector on the left: oneDNN
  // broadcasts its second source only, so both are taken from the right.
  const char *text = R"(
func.func @main(%x: tensor<1x3x?x?xf32>) -> tensor<1x20x?x?xf32> {
  %bias = arith.constant dense<[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, 1.1, -1.2, 1.3, 1.4, 1.5, -1.6, 1.7, 1.8, -1.9, 2.0]> : tensor<20xf32>
  %w = arith.constant dense<0.05> : tensor<20x3x3x3xf32>
  %0 = sstep.conv2d %x, %w, %bias {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<20x3x3x3xf32>, tensor<20xf32>) -> tensor<1x20x?x?xf32>
  %1 = sstep.global_avg_pool2d %0 : tensor<1x20x?x?xf32> -> tensor<1x20x1x1xf32>
  %2 = sstep.sigmoid %1 : tensor<1x20x1x1xf32>
  %3 = sstep.mul %2, %0 : (tensor<1x20x1x1xf32>, tensor<1x20x?x?xf32>) -> tensor<1x20x?x?xf32>
  %4 = sstep.add %1, %3 : (tensor<1x20x1x1xf32>, tensor<1x20x?x?xf32>) -> tensor<1x20x?x?xf32>
  return %4 : tensor<1x20x?x?xf32>
}
)";
  Program program = compileProgram(text);
  std::mt19937 rng(47);
  Tensor x = randomImage(rng, 3, 19, 23);
  checkEdges(program, x, {0, 8}, 1e-5, [](Counters &counts, int64_t) {
    CHECK(counts["reference_nodes"] == 0);
  });
}

TEST_CASE("cpu backend runs transposed convolutions on oneDNN", "[cpu]") {
  // A U-Net's up-convolution (k 2, s 2, bias) on a blocked block, then one
  // with k 3, s 2, dilation 2, two groups and an output padding past the
  // last input's reach (blocks at that border stay with the reference
  // kernel). Weights vary per tap, so a flipped or transposed kernel shows.
  std::mt19937 rng(53);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  auto dense = [&](int64_t n) {
    std::string s;
    for (int64_t i = 0; i < n; ++i)
      s += (i ? ", " : "") + std::to_string(u(rng));
    return "dense<[" + s + "]>";
  };
  // A shaped literal, nested as MLIR prints it.
  auto tensor4 = [&](int64_t a, int64_t b, int64_t c, int64_t d) {
    std::string s = "dense<[";
    for (int64_t i = 0; i < a; ++i) {
      s += i ? ", [" : "[";
      for (int64_t j = 0; j < b; ++j) {
        s += j ? ", [" : "[";
        for (int64_t k = 0; k < c; ++k) {
          s += k ? ", [" : "[";
          for (int64_t l = 0; l < d; ++l)
            s += (l ? ", " : "") + std::to_string(u(rng));
          s += "]";
        }
        s += "]";
      }
      s += "]";
    }
    return s + "]>";
  };
  std::string text = R"(
func.func @main(%x: tensor<1x3x?x?xf32>) -> (tensor<1x6x?x?xf32>, tensor<1x4x?x?xf32>) {
  %w0 = arith.constant )" +
                     tensor4(8, 3, 3, 3) +
                     R"( : tensor<8x3x3x3xf32>
  %w1 = arith.constant )" +
                     tensor4(8, 6, 2, 2) +
                     R"( : tensor<8x6x2x2xf32>
  %b1 = arith.constant )" +
                     dense(6) + R"( : tensor<6xf32>
  %w2 = arith.constant )" +
                     tensor4(6, 2, 3, 3) +
                     R"( : tensor<6x2x3x3xf32>
  %0 = sstep.conv2d %x, %w0 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x?x?xf32>
  %1 = sstep.conv_transpose2d %0, %w1, %b1 {strides = array<i64: 2, 2>} : (tensor<1x8x?x?xf32>, tensor<8x6x2x2xf32>, tensor<6xf32>) -> tensor<1x6x?x?xf32>
  %2 = sstep.conv_transpose2d %1, %w2 {strides = array<i64: 2, 2>, dilations = array<i64: 2, 2>, groups = 2 : i64, output_padding = array<i64: 1, 1>} : (tensor<1x6x?x?xf32>, tensor<6x2x3x3xf32>) -> tensor<1x4x?x?xf32>
  return %1, %2 : tensor<1x6x?x?xf32>, tensor<1x4x?x?xf32>
}
)";
  INFO(text);
  Program program = compileProgram(text);
  Tensor x = randomImage(rng, 3, 13, 17);
  checkEdges(program, x, {0, 5, 9}, 1e-5, [](Counters &counts, int64_t edge) {
    // Only the blocks at the output padding's border took the reference:
    // the whole image is one (1 of 3 nodes), tiles mostly are not.
    CHECK(counts["reference_nodes"] > 0);
    CHECK(counts["onednn_nodes"] >= 2 * counts["reference_nodes"]);
    if (edge > 0)
      CHECK(counts["onednn_nodes"] > 3 * counts["reference_nodes"]);
  });
}

TEST_CASE("cpu backend runs a convolution whose weights are an input",
          "[cpu]") {
  // ONNX models may pass weights as graph inputs; oneDNN packs constants
  // only, so such a convolution runs on the reference kernels, correctly.
  const char *text = R"(
func.func @main(%x: tensor<1x4x?x?xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<1x6x?x?xf32> {
  %b = arith.constant dense<0.1> : tensor<6xf32>
  %c = sstep.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x?x?xf32>, tensor<6x4x3x3xf32>, tensor<6xf32>) -> tensor<1x6x?x?xf32>
  %r = sstep.relu %c : tensor<1x6x?x?xf32>
  return %r : tensor<1x6x?x?xf32>
}
)";
  Program program = compileProgram(text);
  std::mt19937 rng(11);
  Tensor x = randomImage(rng, 4, 19, 23);
  Tensor w({6, 4, 3, 3});
  for (float &v : w.data)
    v = std::uniform_real_distribution<float>(-0.5f, 0.5f)(rng);
  std::vector<Tensor> whole = reference::run(program, {x, w});
  for (int64_t edge : {0, 8}) {
    INFO("tile edge " << edge);
    cpu::CpuBackend backend;
    exec::Options options;
    options.tileEdge = edge;
    std::vector<Tensor> got = exec::execute(program, backend, {x, w}, options);
    CHECK(relativeError(whole[0], got[0]) <= 1e-5);
    CHECK(backend.counters()["reference_nodes"] > 0);
  }
}

TEST_CASE("channel padding of blocked blocks is found and zeroed", "[cpu]") {
  using dnnl::memory;
  cpu::Device device;
  memory::desc padded({1, 5, 3, 4}, memory::data_type::f32,
                      memory::format_tag::nChw8c);
  CHECK(cpu::hasChannelPadding(padded));
  CHECK_FALSE(cpu::hasChannelPadding(memory::desc(
      {1, 8, 3, 4}, memory::data_type::f32, memory::format_tag::nChw8c)));
  CHECK_FALSE(cpu::hasChannelPadding(cpu::plainDesc({1, 5, 3, 4})));

  // Every lane NaN, as log(0) * 0 leaves them; the real channels must keep
  // their values and only the three padding lanes per pixel become zero.
  memory mem(padded, device.engine);
  float *data = static_cast<float *>(mem.get_data_handle());
  size_t lanes = padded.get_size() / sizeof(float);
  std::fill(data, data + lanes, std::nanf(""));
  cpu::zeroChannelPadding(mem);
  size_t zeros = 0, nans = 0;
  for (size_t i = 0; i < lanes; ++i) {
    bool padding = i % 8 >= 5;
    CHECK((padding ? data[i] == 0.0f : std::isnan(data[i])));
    zeros += data[i] == 0.0f;
    nans += std::isnan(data[i]);
  }
  CHECK(zeros == 3 * 3 * 4);
  CHECK(nans == 5 * 3 * 4);
}
