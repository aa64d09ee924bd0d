//===- SessionTest.cpp - one backend, many runs, replaced weights ---------===//
//
// A Session makes its backend once and packs each weight once however often
// it runs; replacing weights gives exactly what a plan compiled with those
// weights gives; a bad replacement names the weight and changes nothing.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/api/Session.h"
#include "test/unit/TestPrograms.h"

#include <random>

using namespace sstep;

namespace {

/// Two convolutions with named weights and biases, `scale` in every weight.
std::string twoConvs(const std::string &scale, const std::string &bias) {
  return R"(
func.func @main(%x: tensor<1x3x?x?xf32>) -> tensor<1x8x?x?xf32> {
  %w1 = arith.constant dense<)" +
         scale + R"(> : tensor<8x3x3x3xf32> loc("w1")
  %b1 = arith.constant dense<)" +
         bias + R"(> : tensor<8xf32> loc("b1")
  %w2 = arith.constant dense<-0.05> : tensor<8x8x3x3xf32> loc("w2")
  %a = sstep.conv2d %x, %w1, %b1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x?x?xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x?x?xf32>
  %r = sstep.relu %a : tensor<1x8x?x?xf32>
  %y = sstep.conv2d %r, %w2 {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x?x?xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x?x?xf32>
  return %y : tensor<1x8x?x?xf32>
}
)";
}

Tensor filled(Shape shape, float value) {
  Tensor t(shape);
  std::fill(t.data.begin(), t.data.end(), value);
  return t;
}

} // namespace

TEST_CASE("a session makes one backend and reads each weight once",
          "[session][cpu]") {
  Session session(Model(test::compileProgram(twoConvs("0.1", "0.2"))),
                  {"cpu", 2});
  std::mt19937 rng(1);
  RunOptions tiled;
  tiled.tileEdge = 16;
  tiled.tileRows = 8;
  RunOptions oracle;
  oracle.backend = "reference";
  for (int i = 0; i < 10; ++i) {
    Tensor x = test::randomImage(rng, 3, 40, 40);
    std::vector<Tensor> want = session.model().run({x}, oracle);
    exec::Stats stats;
    std::vector<Tensor> got =
        session.run({x}, i % 2 ? tiled : RunOptions{}, &stats);
    CHECK(test::relativeError(want[0], got[0]) <= 1e-5);
    // Two convolutions: each weight read from the plan once, ever.
    CHECK(stats.counters["weight_reads"] == 2);
  }
  CHECK(session.backendsCreated() == 1);
  CHECK(session.runs() == 10);
}

TEST_CASE("a session's packed weights go until its next run",
          "[session][cpu]") {
  Session session(Model(test::compileProgram(twoConvs("0.1", "0.2"))),
                  {"cpu", 1});
  std::mt19937 rng(2);
  Tensor x = test::randomImage(rng, 3, 19, 23);
  exec::Stats first, again, repacked;
  std::vector<Tensor> want = session.run({x}, {}, &first);
  session.run({x}, {}, &again);
  CHECK(first.counters["weight_reads"] == 2);
  CHECK(again.counters["weight_reads"] == 2); // kept packed
  session.releaseDerivedWeights();
  std::vector<Tensor> got = session.run({x}, {}, &repacked);
  // Packed again from the plain weights, to the same bits.
  CHECK(repacked.counters["weight_reads"] == 4);
  CHECK(got[0].data == want[0].data);
}

TEST_CASE("replaced weights give what a plan with those weights gives",
          "[session][cpu]") {
  std::mt19937 rng(2);
  Tensor x = test::randomImage(rng, 3, 33, 29);
  for (const std::string backend : {"cpu", "reference"}) {
    INFO(backend);
    Session session(Model(test::compileProgram(twoConvs("0.1", "0.2"))),
                    {backend, 2});
    std::vector<Tensor> before = session.run({x});
    std::map<std::string, Shape> weights = session.weights();
    REQUIRE(weights.count("w1"));
    REQUIRE(weights.count("b1"));
    session.setWeights(
        {{"w1", filled({8, 3, 3, 3}, 0.3f)}, {"b1", filled({8}, -0.1f)}});
    std::vector<Tensor> after = session.run({x});

    Session fresh(Model(test::compileProgram(twoConvs("0.3", "-0.1"))),
                  {backend, 2});
    std::vector<Tensor> want = fresh.run({x});
    CHECK(after[0].data == want[0].data);
    CHECK(test::relativeError(before[0], after[0]) > 1e-2);
  }
}

TEST_CASE("weights given shared are held once by every session",
          "[session][cpu]") {
  std::mt19937 rng(3);
  Tensor x = test::randomImage(rng, 3, 21, 17);
  Model model(test::compileProgram(twoConvs("0.1", "0.2")));
  Session a(model, {"cpu", 1}), b(model, {"reference", 1});
  SharedWeights shared{
      {"w1", std::make_shared<const Tensor>(filled({8, 3, 3, 3}, 0.3f))}};
  a.setWeights(shared);
  b.setWeights(shared);
  const float *data = shared["w1"]->data.data();
  int w1 = namedWeights(model.program()).at("w1");
  CHECK(a.model().program().constants.get(w1).data.data() == data);
  CHECK(b.model().program().constants.get(w1).data.data() == data);
  CHECK(shared["w1"].use_count() == 3);
  // The model they were made from keeps its own.
  CHECK(model.program().constants.get(w1).data[0] == 0.1f);
  Session fresh(Model(test::compileProgram(twoConvs("0.3", "0.2"))),
                {"cpu", 1});
  CHECK(a.run({x})[0].data == fresh.run({x})[0].data);
  // A bad shape is refused before anything changes.
  SharedWeights bad{{"w1", std::make_shared<const Tensor>(Tensor({8}))}};
  CHECK_THROWS_WITH(a.setWeights(bad), Catch::Contains("weight 'w1'"));
  CHECK(a.model().program().constants.get(w1).data.data() == data);
}

TEST_CASE("a bad weight replacement names it and changes nothing",
          "[session]") {
  Session session(Model(test::compileProgram(twoConvs("0.1", "0.2"))),
                  {"reference"});
  std::mt19937 rng(3);
  Tensor x = test::randomImage(rng, 3, 12, 12);
  std::vector<Tensor> before = session.run({x});
  CHECK_THROWS_WITH(session.setWeights({{"w1", filled({8, 3, 3, 3}, 1.0f)},
                                        {"nope", filled({8}, 0.0f)}}),
                    Catch::Contains("no weight 'nope'"));
  CHECK_THROWS_WITH(session.setWeights({{"w2", filled({8, 8, 1, 1}, 1.0f)}}),
                    Catch::Contains("weight 'w2' has shape 8x8x3x3"));
  CHECK(session.run({x})[0].data == before[0].data);
  CHECK_THROWS_WITH(Session(session.model(), {"abacus"}),
                    Catch::Contains("unknown backend 'abacus'"));
}
