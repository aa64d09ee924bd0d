//===- ShapeRulesTest.cpp - Result shapes with unknown dimensions ---------===//
//
// ShapeRules.h is shared by the verifiers (H and W unknown) and the runtime
// (everything known): a dimension is unknown in a result exactly when it
// depends on an unknown one, and known dimensions are checked either way.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "dialects/sstep/IR/ShapeRules.h"

using namespace sstep;
using Dims = shape::Dims;

TEST_CASE("slice clamps as ONNX does; unknown sizes stay unknown", "[shape]") {
  CHECK(shape::slice({1, 116, -1, -1}, {0}, {58}, {1}, {1}).dims ==
        Dims{1, 58, -1, -1});
  CHECK(shape::slice({1, 116, 9, 9}, {-3, 100}, {INT64_MAX, -100}, {1, 2},
                     {1, -1})
            .dims == Dims{1, 3, 9, 9});
  CHECK(shape::slice({1, 8, -1, -1}, {0}, {4}, {2}, {1}).dims ==
        Dims{1, 8, -1, -1});
  CHECK(shape::sliceRange(10, 1, 8, 3).count == 3);     // 1, 4, 7
  CHECK(shape::sliceRange(10, -1, -11, -4).count == 3); // 9, 5, 1
  CHECK(shape::sliceRange(0, -1, -11, -1).count == 0);
  CHECK(shape::sliceRange(10, 0, 10, INT64_MAX).count == 1);
  CHECK(shape::sliceRange(10, 9, -11, INT64_MIN).count == 1);
  CHECK(shape::slice({1, 8}, {0}, {1}, {1}, {0}).error == "a step of 0");
  CHECK_FALSE(shape::slice({1, 8}, {0}, {1}, {2}, {1}).ok());
}

TEST_CASE("reshape entries copy input dimensions anywhere", "[shape]") {
  using shape::kInputDim;
  // ShuffleNet's split of NCHW into N x g x C/g x H x W: H and W move one
  // place right, and -1 is still inferred because they cancel.
  CHECK(shape::reshape({1, 8, -1, -1}, {0, 2, -1, kInputDim(2), kInputDim(3)},
                       false)
            .dims == Dims{1, 2, 4, -1, -1});
  // And back: N x C/g x g x H x W to N x C x H x W.
  CHECK(shape::reshape({1, 4, 2, -1, -1}, {0, -1, kInputDim(3), kInputDim(4)},
                       false)
            .dims == Dims{1, 8, -1, -1});
  // Known sizes need no cancelling; a dimension copied twice counts once.
  CHECK(shape::reshape({1, 8, 4, 5}, {kInputDim(0), 2, -1, kInputDim(3)}, false)
            .dims == Dims{1, 2, 16, 5});
  CHECK(shape::reshape({1, 8, -1, -1}, {kInputDim(2), kInputDim(2), -1}, false)
            .dims == Dims{-1, -1, -1});
  CHECK(shape::reshape({1, 8}, {kInputDim(2)}, false).error ==
        "shape entry -4 copies input dimension 2, which the input (rank 2) "
        "lacks");
}

TEST_CASE("reshape resolves 0 and -1, unknown where H or W enters", "[shape]") {
  CHECK(shape::reshape({1, 8, -1, -1}, {0, 0, -1}, false).dims ==
        Dims{1, 8, -1});
  CHECK(shape::reshape({1, 8, 4, 5}, {0, 0, -1}, false).dims == Dims{1, 8, 20});
  CHECK(shape::reshape({1, 8, -1, -1}, {2, 4, -1}, false).dims ==
        Dims{2, 4, -1});
  // With allowzero, 0 is a size.
  CHECK(shape::reshape({0, 3}, {3, 0}, true).dims == Dims{3, 0});
  CHECK(shape::reshape({1, 8, 4, 5}, {3, -1}, false).error ==
        "cannot reshape 1x8x4x5 (160 elements) to [3, -1]");
  CHECK(shape::reshape({1, 8, 4, 5}, {8, 21}, false).error ==
        "cannot reshape 1x8x4x5 (160 elements) to [8, 21] (168 elements)");
  CHECK_FALSE(shape::reshape({2, 0}, {0, -1}, true).ok());
}

TEST_CASE("concat, flatten, transpose keep unknown dimensions", "[shape]") {
  CHECK(shape::concat({{1, 8, -1, -1}, {1, 4, -1, -1}}, 1).dims ==
        Dims{1, 12, -1, -1});
  CHECK(shape::concat({{1, 8, 5, -1}, {1, 8, -1, 7}}, 2).dims ==
        Dims{1, 8, -1, 7});
  CHECK(shape::flatten({1, 8, -1, -1}, 1).dims == Dims{1, -1});
  CHECK(shape::flatten({2, 8, 1, 1}, 4).dims == Dims{16, 1});
  CHECK(shape::transpose({1, 8, -1, 6}, {0, 3, 1, 2}).dims ==
        Dims{1, 6, 8, -1});
}

TEST_CASE("matmul and broadcasting", "[shape]") {
  CHECK(shape::matmul({2, 1, 4, 8}, {3, 8, 5}).dims == Dims{2, 3, 4, 5});
  CHECK(shape::matmul({8}, {8}).dims == Dims{});
  CHECK(shape::matmul({-1, 4, 8}, {8, 5}).dims == Dims{-1, 4, 5});
  CHECK(shape::gemm({8, 3}, {5, 8}, true, true).dims == Dims{3, 5});
  CHECK(shape::broadcastTo({8, 1, 1}, {1, 8, -1, -1}).ok());
  CHECK(shape::broadcastTo({1}, {1, 8, 3, 3}).ok());
  CHECK(shape::broadcastTo({8}, {1, 8, 3, 3}).error ==
        "8 does not broadcast to 1x8x3x3");
  CHECK(shape::broadcastTo({1, 1, 8, 1, 1}, {1, 8, 3, 3}).error ==
        "1x1x8x1x1 has a higher rank than 1x8x3x3");
}
