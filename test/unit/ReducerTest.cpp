//===- ReducerTest.cpp - tile reductions by kind --------------------------===//

#include <catch2/catch.hpp>

#include "runtime/core/RuntimeError.h"
#include "runtime/exec/Reducer.h"

#include <cmath>

using namespace sstep;
using exec::ReduceKind;

namespace {
Tensor block(sstep::FloatBuffer values) {
  // One batch, two channels, one row.
  int64_t n = int64_t(values.size()) / 2;
  return Tensor({1, 2, 1, n}, std::move(values));
}
Node reduceNode(const std::string &kind) {
  Node node;
  node.op = "global_avg_pool2d";
  node.name = "pool";
  node.reduction = kind;
  return node;
}
} // namespace

TEST_CASE("reductions combine blocks by kind", "[reduce]") {
  Node node = reduceNode("mean");
  for (auto [kind, c0, c1] : {std::tuple{ReduceKind::Mean, 2.0f, -1.0f},
                              std::tuple{ReduceKind::Sum, 6.0f, -3.0f},
                              std::tuple{ReduceKind::Max, 3.0f, 0.5f}}) {
    exec::Reducer r(kind);
    r.add(block({1, 2, 0.5f, -2})); // channel 0: 1 2; channel 1: 0.5 -2
    r.add(block({3, -1.5f}));
    Tensor out = r.finish(node);
    CHECK(out.shape == Shape{1, 2, 1, 1});
    CHECK(out.data[0] == c0);
    CHECK(out.data[1] == c1);
  }
  exec::Reducer max(ReduceKind::Max);
  max.add(block({1, NAN}));
  max.add(block({5, 2}));
  CHECK(max.finish(node).data[0] == 5);
  CHECK(std::isnan(max.finish(node).data[1]));
}

TEST_CASE("reductions name what is wrong", "[reduce]") {
  CHECK(exec::reduceKindOf(reduceNode("sum")) == ReduceKind::Sum);
  CHECK_THROWS_WITH(exec::reduceKindOf(reduceNode("median")),
                    Catch::Contains("unknown tile reduction 'median'"));
  CHECK_THROWS_WITH(exec::Reducer(ReduceKind::Sum).finish(reduceNode("sum")),
                    Catch::Contains("every tile it reduces was skipped"));
}
