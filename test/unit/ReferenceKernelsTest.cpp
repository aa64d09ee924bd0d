//===- ReferenceKernelsTest.cpp - The reference backend's kernels ---------===//
//
// Hand-computed cases, and convolution against a second formulation (copy
// into an explicitly zero-padded buffer, then slide) on random geometries.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "KernelTestUtil.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Interpreter.h"

#include <cmath>
#include <random>

using namespace sstep;
using sstep::test::iota;
using sstep::test::oneNode;

namespace {

Node convNode(std::vector<int64_t> strides, std::vector<int64_t> dilations,
              std::vector<int64_t> pads, int64_t groups) {
  Node n;
  n.op = "conv2d";
  n.attrs = {{"strides", strides},
             {"dilations", dilations},
             {"pads", pads},
             {"groups", groups}};
  return n;
}

/// Convolution by zero-padding a copy of the input first.
Tensor paddedConv(const Tensor &x, const Tensor &w, const Node &node) {
  auto s = node.getInts("strides"), d = node.getInts("dilations"),
       p = node.getInts("pads");
  int64_t g = node.getInt("groups");
  int64_t c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  int64_t ph = h + p[0] + p[2], pw = wd + p[1] + p[3];
  std::vector<double> padded(c * ph * pw, 0.0);
  for (int64_t ci = 0; ci < c; ++ci)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t xx = 0; xx < wd; ++xx)
        padded[(ci * ph + y + p[0]) * pw + xx + p[1]] =
            x.data[(ci * h + y) * wd + xx];
  int64_t m = w.dim(0), cg = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  int64_t oh = (ph - d[0] * (kh - 1) - 1) / s[0] + 1;
  int64_t ow = (pw - d[1] * (kw - 1) - 1) / s[1] + 1;
  Tensor out({1, m, oh, ow});
  for (int64_t o = 0; o < m; ++o)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t xx = 0; xx < ow; ++xx) {
        double acc = 0;
        int64_t group = o / (m / g);
        for (int64_t ci = 0; ci < cg; ++ci)
          for (int64_t ky = 0; ky < kh; ++ky)
            for (int64_t kx = 0; kx < kw; ++kx)
              acc +=
                  w.data[((o * cg + ci) * kh + ky) * kw + kx] *
                  padded[((group * cg + ci) * ph + y * s[0] + ky * d[0]) * pw +
                         xx * s[1] + kx * d[1]];
        out.data[(o * oh + y) * ow + xx] = float(acc);
      }
  return out;
}

} // namespace

TEST_CASE("conv2d: 2x2 ones over a 3x3 ramp", "[reference][conv]") {
  Program p = oneNode(convNode({1, 1}, {1, 1}, {0, 0, 0, 0}, 1),
                      {{1, 1, 3, 3}, {1, 1, 2, 2}});
  auto out = reference::run(p, {iota({1, 1, 3, 3}), Tensor({1, 1, 2, 2}, 1)});
  CHECK(out[0].shape == Shape{1, 1, 2, 2});
  CHECK(out[0].data == sstep::FloatBuffer{8, 12, 20, 24});
}

TEST_CASE("conv2d: bias and zero border", "[reference][conv]") {
  // 3x3 ones, pad 1, stride 2 over a 3x3 ramp: each corner sees a 2x2
  // window, e.g. 0 + 1 + 3 + 4 = 8 at the top left.
  Program p = oneNode(convNode({2, 2}, {1, 1}, {1, 1, 1, 1}, 1),
                      {{1, 1, 3, 3}, {1, 1, 3, 3}, {1}});
  auto out = reference::run(
      p, {iota({1, 1, 3, 3}), Tensor({1, 1, 3, 3}, 1), Tensor({1}, 0.5f)});
  CHECK(out[0].data == sstep::FloatBuffer{8.5f, 12.5f, 20.5f, 24.5f});
}

TEST_CASE("conv2d matches a padded-copy convolution on random geometries",
          "[reference][conv]") {
  std::mt19937 rng(7);
  auto pick = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  std::normal_distribution<float> normal;
  for (int trial = 0; trial < 200; ++trial) {
    int64_t g = pick(1, 3), cg = pick(1, 3), mg = pick(1, 2);
    int64_t kh = pick(1, 4), kw = pick(1, 4);
    Node node = convNode({pick(1, 3), pick(1, 3)}, {pick(1, 2), pick(1, 2)},
                         {pick(0, 3), pick(0, 3), pick(0, 3), pick(0, 3)}, g);
    auto d = node.getInts("dilations"), pads = node.getInts("pads");
    int64_t h = pick(1, 9) + d[0] * (kh - 1), w = pick(1, 9) + d[1] * (kw - 1);
    Tensor x({1, g * cg, h, w}), wt({g * mg, cg, kh, kw});
    for (float &v : x.data)
      v = normal(rng);
    for (float &v : wt.data)
      v = normal(rng);
    Tensor expected = paddedConv(x, wt, node);
    Program p = oneNode(node, {x.shape, wt.shape});
    Tensor got = reference::run(p, {x, wt})[0];
    INFO("trial " << trial);
    REQUIRE(got.shape == expected.shape);
    for (int64_t i = 0; i < got.size(); ++i)
      REQUIRE(got.data[i] == Approx(expected.data[i]).margin(1e-5));
  }
}

TEST_CASE("max and average pooling at the border", "[reference][pool]") {
  Node node;
  node.attrs = {{"kernel", std::vector<int64_t>{3, 3}},
                {"strides", std::vector<int64_t>{2, 2}},
                {"dilations", std::vector<int64_t>{1, 1}},
                {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                {"ceil_mode", int64_t(0)},
                {"count_include_pad", int64_t(0)}};
  Tensor x = iota({1, 1, 3, 3}, 1); // 1..9
  node.op = "max_pool2d";
  CHECK(reference::run(oneNode(node, {x.shape}), {x})[0].data ==
        sstep::FloatBuffer{5, 6, 8, 9});
  node.op = "avg_pool2d";
  // Top-left window holds 1, 2, 4, 5 inside the image.
  CHECK(reference::run(oneNode(node, {x.shape}), {x})[0].data ==
        sstep::FloatBuffer{3, 4, 6, 7});
  node.attrs["count_include_pad"] = int64_t(1);
  CHECK(reference::run(oneNode(node, {x.shape}), {x})[0].data ==
        sstep::FloatBuffer{12.0f / 9, 16.0f / 9, 24.0f / 9, 28.0f / 9});
}

TEST_CASE("ceil_mode keeps a partial last window", "[reference][pool]") {
  Node node;
  node.op = "max_pool2d";
  node.attrs = {{"kernel", std::vector<int64_t>{2, 2}},
                {"strides", std::vector<int64_t>{2, 2}},
                {"dilations", std::vector<int64_t>{1, 1}},
                {"pads", std::vector<int64_t>{0, 0, 0, 0}},
                {"ceil_mode", int64_t(1)}};
  Tensor x = iota({1, 1, 3, 3}, 1);
  Tensor y = reference::run(oneNode(node, {x.shape}), {x})[0];
  CHECK(y.shape == Shape{1, 1, 2, 2});
  CHECK(y.data == sstep::FloatBuffer{5, 6, 8, 9});
}

TEST_CASE("binary ops broadcast per channel", "[reference][pointwise]") {
  Node node;
  node.op = "add";
  Tensor a = iota({1, 2, 2, 2}), b({1, 2, 1, 1}, sstep::FloatBuffer{10, 20});
  Tensor y = reference::run(oneNode(node, {a.shape, b.shape}), {a, b})[0];
  CHECK(y.shape == Shape{1, 2, 2, 2});
  CHECK(y.data == sstep::FloatBuffer{10, 11, 12, 13, 24, 25, 26, 27});
  node.op = "sub";
  Tensor s({}, sstep::FloatBuffer{1});
  CHECK(reference::run(oneNode(node, {s.shape, b.shape}), {s, b})[0].data ==
        sstep::FloatBuffer{-9, -19});
}

TEST_CASE("activations with attributes", "[reference][pointwise]") {
  Tensor x({4}, sstep::FloatBuffer{-4, -1, 0.5f, 8});
  Node node;
  node.op = "clip";
  node.attrs = {{"min", 0.0}, {"max", 6.0}};
  CHECK(reference::run(oneNode(node, {x.shape}), {x})[0].data ==
        sstep::FloatBuffer{0, 0, 0.5f, 6});
  node.op = "leaky_relu";
  node.attrs = {{"alpha", 0.5}};
  CHECK(reference::run(oneNode(node, {x.shape}), {x})[0].data ==
        sstep::FloatBuffer{-2, -0.5f, 0.5f, 8});
  node.op = "hard_swish";
  node.attrs = {};
  auto y = reference::run(oneNode(node, {x.shape}), {x})[0].data;
  CHECK(y[0] == 0);
  CHECK(y[1] == Approx(-1.0 / 3));
  CHECK(y[3] == 8);
}

TEST_CASE("bad programs and inputs are errors naming the culprit",
          "[reference][errors]") {
  Node node;
  node.op = "frobnicate";
  node.name = "n7";
  Tensor x({1, 1, 2, 2});
  CHECK_THROWS_WITH(reference::run(oneNode(node, {x.shape}), {x}),
                    Catch::Contains("'n7'") &&
                        Catch::Contains("sstep.frobnicate") &&
                        Catch::Contains("no reference kernel"));
  Program p = oneNode(node, {{1, 3, -1, -1}});
  CHECK_THROWS_WITH(reference::run(p, {x}), Catch::Contains("'in0'") &&
                                                Catch::Contains("1x1x2x2") &&
                                                Catch::Contains("1x3x?x?"));
  CHECK_THROWS_WITH(reference::run(p, {}), Catch::Contains("takes 1 inputs"));
  node.op = "add";
  Tensor a({1, 2, 3}), b({1, 4, 3});
  CHECK_THROWS_WITH(reference::run(oneNode(node, {a.shape, b.shape}), {a, b}),
                    Catch::Contains("do not broadcast"));
  node.op = "conv2d";
  node.attrs = convNode({1, 1}, {1, 1}, {0, 0, 0, 0}, 1).attrs;
  Tensor w({4, 2, 1, 1});
  CHECK_THROWS_WITH(reference::run(oneNode(node, {x.shape, w.shape}), {x, w}),
                    Catch::Contains("does not match weight"));
}

TEST_CASE("conv_transpose2d matches the gather formulation",
          "[reference][conv]") {
  // Output o sums x[i] * w[t] over every (i, t) with i*s - p + d*t == o.
  std::mt19937 rng(11);
  auto pick = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  std::normal_distribution<float> normal;
  for (int trial = 0; trial < 200; ++trial) {
    int64_t g = pick(1, 2), cg = pick(1, 2), fg = pick(1, 2);
    int64_t k[2] = {pick(1, 4), pick(1, 4)}, s[2] = {pick(1, 3), pick(1, 3)},
            d[2] = {pick(1, 2), pick(1, 2)};
    int64_t p[4] = {pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2)};
    int64_t op[2] = {pick(0, std::max(s[0], d[0]) - 1),
                     pick(0, std::max(s[1], d[1]) - 1)};
    int64_t in[2] = {pick(1, 6), pick(1, 6)}, out[2];
    bool empty = false;
    for (int a = 0; a < 2; ++a) {
      out[a] =
          (in[a] - 1) * s[a] - p[a] - p[a + 2] + d[a] * (k[a] - 1) + 1 + op[a];
      empty |= out[a] < 1;
    }
    if (empty)
      continue;
    Node node;
    node.op = "conv_transpose2d";
    node.attrs = {{"strides", std::vector<int64_t>{s[0], s[1]}},
                  {"dilations", std::vector<int64_t>{d[0], d[1]}},
                  {"pads", std::vector<int64_t>{p[0], p[1], p[2], p[3]}},
                  {"output_padding", std::vector<int64_t>{op[0], op[1]}},
                  {"groups", g}};
    Tensor x({1, g * cg, in[0], in[1]}), w({g * cg, fg, k[0], k[1]});
    for (float &v : x.data)
      v = normal(rng);
    for (float &v : w.data)
      v = normal(rng);
    Tensor got = reference::run(oneNode(node, {x.shape, w.shape}), {x, w})[0];
    REQUIRE(got.shape == Shape{1, g * fg, out[0], out[1]});
    for (int64_t f = 0; f < g * fg; ++f)
      for (int64_t oy = 0; oy < out[0]; ++oy)
        for (int64_t ox = 0; ox < out[1]; ++ox) {
          double acc = 0;
          int64_t group = f / fg;
          for (int64_t c = group * cg; c < (group + 1) * cg; ++c)
            for (int64_t ty = 0; ty < k[0]; ++ty)
              for (int64_t tx = 0; tx < k[1]; ++tx) {
                int64_t ny = oy + p[0] - d[0] * ty, nx = ox + p[1] - d[1] * tx;
                if (ny < 0 || nx < 0 || ny % s[0] || nx % s[1] ||
                    ny / s[0] >= in[0] || nx / s[1] >= in[1])
                  continue;
                acc +=
                    double(
                        x.data[(c * in[0] + ny / s[0]) * in[1] + nx / s[1]]) *
                    w.data[((c * fg + f % fg) * k[0] + ty) * k[1] + tx];
              }
          INFO("trial " << trial);
          REQUIRE(got.data[(f * out[0] + oy) * out[1] + ox] ==
                  Approx(acc).margin(1e-5));
        }
  }
}

TEST_CASE("pad2d: reflect, edge, constant and crop", "[reference][geometry]") {
  // Row 1 2 3: reflect by 2 on the left -> 3 2 | 1 2 3, edge -> 1 1 | 1 2 3.
  Tensor x({1, 1, 1, 3}, sstep::FloatBuffer{1, 2, 3});
  Node node;
  node.op = "pad2d";
  node.attrs = {{"pads", std::vector<int64_t>{0, 2, 0, 1}},
                {"mode", std::string("reflect")},
                {"value", 0.0}};
  CHECK(reference::run(oneNode(node, {x.shape}), {x})[0].data ==
        sstep::FloatBuffer{3, 2, 1, 2, 3, 2});
  node.attrs["mode"] = std::string("edge");
  CHECK(reference::run(oneNode(node, {x.shape}), {x})[0].data ==
        sstep::FloatBuffer{1, 1, 1, 2, 3, 3});
  node.attrs["mode"] = std::string("constant");
  node.attrs["value"] = 9.0;
  node.attrs["pads"] = std::vector<int64_t>{1, -1, 0, 1};
  Tensor y = reference::run(oneNode(node, {x.shape}), {x})[0];
  CHECK(y.shape == Shape{1, 1, 2, 3});
  CHECK(y.data == sstep::FloatBuffer{9, 9, 9, 2, 3, 9});
  node.attrs["mode"] = std::string("reflect");
  node.attrs["pads"] = std::vector<int64_t>{0, 3, 0, 0};
  CHECK_THROWS_WITH(reference::run(oneNode(node, {x.shape}), {x}),
                    Catch::Contains("reflect pads must be smaller"));
}
