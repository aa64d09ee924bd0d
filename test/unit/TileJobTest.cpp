//===- TileJobTest.cpp - tiles completed out of order, routed in order ----===//
//
// A backend may hold several tile jobs and complete them in any order; the
// executor routes them in submission order. Fakes over the reference and
// cpu backends hold up to a few jobs and hand them back shuffled: outputs
// (stored, reduced, streamed), statistics and progress must be identical,
// bit for bit, to the same backend completing in order, on random networks
// with several stages, and with chained strips.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/cpu/CpuBackend.h"
#include "runtime/exec/Executor.h"
#include "runtime/reference/ReferenceBackend.h"
#include "test/unit/RandomNet.h"
#include "test/unit/TestPrograms.h"

#include <random>

using namespace sstep;

namespace {

/// `Base` holding up to `depth` jobs and completing a random one of them.
template <typename Base> class Shuffled : public Base {
public:
  template <typename... Args>
  Shuffled(int depth, uint32_t seed, Args... args)
      : Base(args...), depth(depth), rng(seed) {}

  void submit(std::unique_ptr<exec::TileJob> job,
              exec::TileContext &context) override {
    Base::submit(std::move(job), context); // runs it now
    held.push_back(Base::complete());
  }
  std::unique_ptr<exec::TileJob> complete() override {
    if (held.empty())
      return nullptr;
    size_t i = std::uniform_int_distribution<size_t>(0, held.size() - 1)(rng);
    outOfOrder += i != 0;
    std::unique_ptr<exec::TileJob> job = std::move(held[i]);
    held.erase(held.begin() + std::ptrdiff_t(i));
    return job;
  }
  int inFlight() const override { return depth; }

  int64_t outOfOrder = 0;

private:
  int depth;
  std::mt19937 rng;
  std::vector<std::unique_ptr<exec::TileJob>> held;
};

/// Records the blocks an output receives, in order.
class Recorder : public exec::OutputSink {
public:
  void begin(const Shape &s) override { shape = s; }
  void write(const Region &region, const Tensor &block) override {
    regions.push_back(region);
    blocks.push_back(block.data);
  }
  Shape shape;
  std::vector<Region> regions;
  std::vector<sstep::FloatBuffer> blocks;
};

struct Outcome {
  std::vector<Tensor> outputs;
  Recorder streamed;
  exec::Stats stats;
  std::vector<int64_t> progress;
};

/// With `skip`, every third tile of the first stage is skipped.
Outcome runWith(const Program &program, exec::Backend &backend, const Tensor &x,
                int64_t edge, int64_t rows, bool skip = false) {
  Outcome out;
  exec::Options options;
  options.tileEdge = edge;
  options.tileRows = rows;
  if (skip) {
    options.willRun = [](const exec::TileId &id) {
      return id.stage != 0 || id.index % 3 != 1;
    };
    options.wanted = [&](const exec::TileId &id, const plan::TileWindows &) {
      return options.willRun(id);
    };
  }
  bool streamable = program.values[program.outputs[0]].shape.size() == 4;
  if (streamable)
    options.sinks[0] = &out.streamed;
  options.progress = [&](const exec::TileId &id, bool) {
    out.progress.push_back(id.stage * 1000000 + id.index);
  };
  out.outputs = exec::execute(program, backend, {x}, options, &out.stats);
  return out;
}

void checkSame(const Outcome &a, const Outcome &b) {
  REQUIRE(a.outputs.size() == b.outputs.size());
  for (size_t i = 0; i < a.outputs.size(); ++i)
    CHECK(a.outputs[i].data == b.outputs[i].data);
  CHECK(a.streamed.regions == b.streamed.regions);
  CHECK(a.streamed.blocks == b.streamed.blocks);
  CHECK(a.progress == b.progress);
  CHECK(a.stats.tilesRun == b.stats.tilesRun);
  CHECK(a.stats.tilesChained == b.stats.tilesChained);
  CHECK(a.stats.tilesPriming == b.stats.tilesPriming);
  CHECK(a.stats.peakTileBytes == b.stats.peakTileBytes);
}

} // namespace

TEST_CASE("tiles completed out of order give what in order gives",
          "[exec][jobs]") {
  std::mt19937 rng(20261205);
  int64_t shuffled = 0, skipped = 0;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    std::array<int64_t, 2> image{
        std::uniform_int_distribution<int64_t>(8, 40)(rng),
        std::uniform_int_distribution<int64_t>(8, 40)(rng)};
    test::RandomNet net(seed + 5000, image, 2);
    std::string text = net.build(std::uniform_int_distribution<int>(3, 9)(rng));
    INFO("seed " << seed << "\n" << text);
    Program program = test::compileProgram(text);
    Tensor x = test::randomImage(rng, 2, image[0], image[1]);
    int64_t edge = std::uniform_int_distribution<int64_t>(3, 16)(rng);
    int depth = std::uniform_int_distribution<int>(2, 5)(rng);

    // A third of the networks skip tiles (the reference backend defines
    // what a skipped tile leaves; only single-stage ones can skip).
    bool skip = seed % 3 == 0 && plan::planStages(program).stages.size() == 1;
    reference::ReferenceBackend inOrder;
    Shuffled<reference::ReferenceBackend> outOfOrder(depth, seed);
    Outcome a = runWith(program, inOrder, x, edge, 0, skip);
    Outcome b = runWith(program, outOfOrder, x, edge, 0, skip);
    checkSame(a, b);
    CHECK(a.stats.tilesSkipped == b.stats.tilesSkipped);
    skipped += a.stats.tilesSkipped;
    shuffled += outOfOrder.outOfOrder;
  }
  CHECK(shuffled > 100);
  CHECK(skipped > 0);
}

TEST_CASE("chained cpu strips completed out of order give what in order "
          "gives",
          "[exec][jobs][cpu]") {
  std::mt19937 rng(7);
  int64_t shuffled = 0;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::array<int64_t, 2> image{
        std::uniform_int_distribution<int64_t>(8, 40)(rng),
        std::uniform_int_distribution<int64_t>(8, 40)(rng)};
    test::RandomNet net(seed + 7000, image, 3);
    std::string text = net.build(std::uniform_int_distribution<int>(3, 9)(rng));
    INFO("seed " << seed << "\n" << text);
    Program program = test::compileProgram(text);
    Tensor x = test::randomImage(rng, 3, image[0], image[1]);
    int64_t edge = std::uniform_int_distribution<int64_t>(4, 40)(rng);
    int64_t rows = std::uniform_int_distribution<int64_t>(1, 6)(rng);

    cpu::CpuBackend inOrder(1);
    Shuffled<cpu::CpuBackend> outOfOrder(3, seed, 1);
    checkSame(runWith(program, inOrder, x, edge, rows),
              runWith(program, outOfOrder, x, edge, rows));
    shuffled += outOfOrder.outOfOrder;
  }
  CHECK(shuffled > 20);
}
