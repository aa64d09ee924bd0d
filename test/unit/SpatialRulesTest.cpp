//===- SpatialRulesTest.cpp - Window rules against brute force ------------===//
//
// The analytic interval rules are checked against the receptive field found by
// enumerating every tap of every output pixel.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "dialects/sstep/IR/SpatialRules.h"

#include <random>

using namespace sstep;

namespace {

/// The input pixels touched by output pixels [a, b], tap by tap.
Interval bruteForceWindow(Interval out, const WindowAxis &w) {
  Interval touched;
  for (int64_t o = out.lo; o <= out.hi; ++o)
    for (int64_t t = 0; t < w.kernel; ++t) {
      int64_t i = w.stride * o - w.padBegin + w.dilation * t;
      touched = touched.hull({i, i});
    }
  return touched;
}

/// Output pixels whose window fits in the padded input, counted one by one.
int64_t bruteForceOutputSize(int64_t inputSize, const WindowAxis &w) {
  int64_t count = 0;
  for (int64_t o = 0;; ++o) {
    int64_t last = w.stride * o - w.padBegin + w.dilation * (w.kernel - 1);
    if (last > inputSize - 1 + w.padEnd)
      return count;
    ++count;
  }
}

WindowAxis randomWindow(std::mt19937 &rng) {
  auto pick = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  WindowAxis w;
  w.kernel = pick(1, 7);
  w.stride = pick(1, 4);
  w.dilation = pick(1, 3);
  w.padBegin = pick(0, 4);
  w.padEnd = pick(0, 4);
  return w;
}

} // namespace

TEST_CASE("conv window rule equals the brute-force receptive field",
          "[spatial]") {
  std::mt19937 rng(20261123);
  for (int trial = 0; trial < 2000; ++trial) {
    WindowAxis w = randomWindow(rng);
    int64_t inputSize = std::uniform_int_distribution<int>(1, 64)(rng);
    int64_t outSize = windowOutputSize(inputSize, w);
    INFO("k=" << w.kernel << " s=" << w.stride << " d=" << w.dilation
              << " pads=" << w.padBegin << "," << w.padEnd
              << " input=" << inputSize);
    REQUIRE(outSize == bruteForceOutputSize(inputSize, w));
    if (outSize == 0)
      continue;
    std::uniform_int_distribution<int64_t> pos(0, outSize - 1);
    int64_t a = pos(rng), b = pos(rng);
    Interval out{std::min(a, b), std::max(a, b)};
    INFO("out=[" << out.lo << "," << out.hi << "]");
    Interval rule = windowInputInterval(out, w);
    REQUIRE(rule == bruteForceWindow(out, w));
    // Valid output pixels never read past the padding.
    CHECK(rule.lo >= -w.padBegin);
    CHECK(rule.hi <= inputSize - 1 + w.padEnd);
  }
}

TEST_CASE("composed rules equal the brute-force two-layer receptive field",
          "[spatial]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 1000; ++trial) {
    WindowAxis first = randomWindow(rng), second = randomWindow(rng);
    Interval out{0, 0};
    out.lo = std::uniform_int_distribution<int64_t>(-3, 20)(rng);
    out.hi = out.lo + std::uniform_int_distribution<int64_t>(0, 9)(rng);

    Interval touched;
    for (int64_t o = out.lo; o <= out.hi; ++o) {
      Interval mid = bruteForceWindow({o, o}, second);
      for (int64_t m = mid.lo; m <= mid.hi; ++m) {
        // Only the taps of `second` are read, not the gaps between them.
        if ((m - (second.stride * o - second.padBegin)) % second.dilation != 0)
          continue;
        touched = touched.hull(bruteForceWindow({m, m}, first));
      }
    }

    auto affine = [](const WindowAxis &w) {
      return AffineWindow{w.stride, w.padBegin,
                          w.dilation * (w.kernel - 1) - w.padBegin};
    };
    AffineWindow chain = compose(affine(first), affine(second));
    INFO("trial " << trial);
    REQUIRE(chain.apply(out) == touched);
    REQUIRE(chain.apply(out) ==
            windowInputInterval(windowInputInterval(out, second), first));
  }
}

TEST_CASE("interval hull and clipping", "[spatial]") {
  Interval empty;
  CHECK(empty.empty());
  CHECK(empty.size() == 0);
  CHECK(Interval{2, 5}.hull(empty) == Interval{2, 5});
  CHECK(Interval{2, 5}.hull({9, 12}) == Interval{2, 12});
  CHECK(Interval{-3, 40}.intersect({0, 31}) == Interval{0, 31});
  CHECK(Interval{-3, -1}.intersect({0, 31}).empty());
  CHECK(Interval{0, 31}.contains(Interval{4, 7}));
  CHECK_FALSE(Interval{0, 31}.contains(Interval{30, 32}));
}

TEST_CASE("transposed conv rule equals the brute-force contributing inputs",
          "[spatial]") {
  std::mt19937 rng(5);
  auto pick = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  for (int trial = 0; trial < 3000; ++trial) {
    WindowAxis w{pick(1, 5), pick(1, 4), pick(1, 3), pick(0, 3), pick(0, 3)};
    int64_t a = pick(-5, 20), b = a + pick(0, 6);
    // Every input (unbounded: the image edge is the border rule's business)
    // with a tap landing in [a, b].
    Interval expected;
    for (int64_t i = -20; i <= 40; ++i)
      for (int64_t t = 0; t < w.kernel; ++t) {
        int64_t o = i * w.stride - w.padBegin + w.dilation * t;
        if (a <= o && o <= b)
          expected = expected.hull({i, i});
      }
    INFO("trial " << trial << " out [" << a << ", " << b << "]");
    CHECK(transposedInputInterval({a, b}, w) == expected);
  }
  CHECK(floorDiv(-7, 2) == -4);
  CHECK(ceilDiv(-7, 2) == -3);
  CHECK(ceilDiv(7, 2) == 4);
}
