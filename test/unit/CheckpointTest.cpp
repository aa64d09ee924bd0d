//===- CheckpointTest.cpp - Runs stopped anywhere resume to the same bits -===//
//
// Random multi-stage networks (RandomNet.h: squeeze-and-excitation blocks
// and instance norms cut them into stages, with pools reduced over tiles)
// run with their stored images on disk and a checkpoint after every tile;
// each run is stopped after a random number of tiles (once or twice), then
// the same run resumes from the checkpoint folder. The outputs equal an
// uninterrupted run's bit for bit, the resumed runs skip what was done, and
// the folder is gone once the run completes.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/exec/Checkpoint.h"
#include "runtime/exec/Executor.h"
#include "runtime/plan/ExecutionPlan.h"
#include "runtime/reference/ReferenceBackend.h"
#include "test/unit/RandomNet.h"
#include "test/unit/TestPrograms.h"

#include <random>
#include <sys/stat.h>

using namespace sstep;

namespace {

/// An output streamed into memory that, like a spill file, keeps the blocks
/// of an earlier, stopped run.
class KeptSink : public exec::OutputSink {
public:
  void begin(const Shape &shape) override {
    if (image.shape != shape)
      image = Tensor(shape);
  }
  void write(const Region &region, const Tensor &block) override {
    paste(image, Region::whole({image.dim(2), image.dim(3)}), block, region,
          region);
  }
  Tensor image;
};

struct Stopped {};

struct Setup {
  Program program;
  plan::ExecutionPlan plan;
  Tensor x;
  std::vector<int> streamed;
  std::map<size_t, KeptSink> sinks;
};

/// Runs `s` with checkpoints in `folder`, throwing after `stopAfter` tiles
/// (0: never). Returns the outputs (streamed ones from their sinks).
std::vector<Tensor> runOnce(Setup &s, const std::string &folder,
                            int64_t stopAfter, exec::Stats &stats,
                            exec::Checkpoints::Start &start) {
  exec::Checkpoints checkpoints(folder, "test", 0.0);
  start = checkpoints.start();
  reference::ReferenceBackend backend;
  exec::Options options;
  options.checkpoints = &checkpoints;
  for (auto &[i, sink] : s.sinks)
    options.sinks[i] = &sink;
  int64_t tiles = 0;
  options.progress = [&](const exec::TileId &, bool ran) {
    if (ran && ++tiles == stopAfter)
      throw Stopped{};
  };
  std::vector<Tensor> out =
      exec::execute(s.program, s.plan, backend, {s.x}, options, &stats);
  checkpoints.remove();
  for (auto &[i, sink] : s.sinks)
    out[i] = sink.image;
  return out;
}

} // namespace

TEST_CASE("a run stopped after any tile resumes to the same bits",
          "[checkpoint]") {
  std::mt19937 rng(20261207);
  const std::string work = SSTEP_TEST_WORK_DIR;
  ::mkdir(work.c_str(), 0755);
  int resumed = 0, laterStage = 0;
  for (uint32_t seed = 1; resumed < 30 && seed <= 300; ++seed) {
    auto [image, channels, text] = test::randomCase(rng, seed, 3);
    INFO("seed " << seed << "\n" << text);
    Setup s;
    s.program = test::compileProgram(text, true);
    s.x = test::randomImage(rng, channels, image[0], image[1]);
    int64_t edge = std::uniform_int_distribution<int64_t>(3, 17)(rng);
    INFO("tile edge " << edge);
    plan::TileRequest request;
    request.fixed = {edge, 0};
    request.store = plan::StorePolicy::Disk;
    s.plan =
        plan::planExecution(s.program, image, plan::BackendTraits{}, request);
    if (s.plan.stages.stages.size() < 2)
      continue;
    for (size_t i = 0; i < s.program.outputs.size(); ++i)
      if (s.program.values[s.program.outputs[i]].shape.size() == 4) {
        s.sinks[i];
        s.streamed.push_back(s.program.outputs[i]);
      }
    if (!exec::whyNotCheckpointed(s.program, s.plan, s.streamed).empty())
      continue;

    exec::Stats whole;
    exec::Checkpoints::Start start;
    std::string folder = work + "/checkpoint-" + std::to_string(seed);
    std::vector<Tensor> want = runOnce(s, folder, 0, whole, start);
    CHECK(start == exec::Checkpoints::Start::Fresh);
    if (whole.tilesRun < 3)
      continue;
    ++resumed;
    for (auto &[i, sink] : s.sinks)
      sink.image = Tensor();

    // Stopped once or twice, each time after a random number of tiles.
    int stops = std::uniform_int_distribution<int>(1, 2)(rng);
    int64_t done = 0;
    for (int k = 0; k < stops; ++k) {
      int64_t after = std::uniform_int_distribution<int64_t>(
          1, whole.tilesRun - done - 1)(rng);
      INFO("stop " << k << " after " << after << " more tiles");
      exec::Stats stats;
      CHECK_THROWS_AS(runOnce(s, folder, after, stats, start), Stopped);
      CHECK(start == (k == 0 ? exec::Checkpoints::Start::Fresh
                             : exec::Checkpoints::Start::Resumed));
      CHECK(stats.tilesRun == after);
      done += after - 1;
    }
    exec::Stats stats;
    std::vector<Tensor> got = runOnce(s, folder, 0, stats, start);
    INFO("resumed after " << done << " of " << whole.tilesRun << " tiles");
    // (A checkpoint is saved as each stage starts: even a run stopped in
    // its first tile resumes, from nothing done.)
    CHECK(start == exec::Checkpoints::Start::Resumed);
    CHECK(stats.tilesRun + done == whole.tilesRun);
    CHECK(stats.tilesResumed >= done);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      REQUIRE(got[i].shape == want[i].shape);
      CHECK(got[i].data == want[i].data);
    }
    struct stat st;
    CHECK(::stat(folder.c_str(), &st) != 0);
    laterStage += stats.tilesResumed > stats.grids[0][0] * stats.grids[0][1];
  }
  CHECK(resumed == 30);
  // Runs stopped in a later stage than the first, often enough to count.
  CHECK(laterStage >= 5);
}

TEST_CASE("a checkpoint of another command is not resumed", "[checkpoint]") {
  const std::string folder = std::string(SSTEP_TEST_WORK_DIR) + "/other";
  ::mkdir(SSTEP_TEST_WORK_DIR, 0755);
  {
    exec::Checkpoints mine(folder, "one", 0.0);
    CHECK(mine.start() == exec::Checkpoints::Start::Fresh);
    Tensor pooled({1, 2, 1, 1}, 3.0f);
    mine.saveValues(1, {{4, &pooled}});
    exec::Checkpoint c;
    c.stage = 1;
    c.tilesDone = 5;
    c.reductions[7] = {exec::ReduceKind::Sum, {1, 2, 1, 1}, {1.5, -2.25}, 10};
    mine.save(c);
  }
  {
    exec::Checkpoints again(folder, "one", 0.0);
    REQUIRE(again.start() == exec::Checkpoints::Start::Resumed);
    CHECK(again.found()->stage == 1);
    CHECK(again.found()->tilesDone == 5);
    const exec::Reducer::State &r = again.found()->reductions.at(7);
    CHECK(r.acc == std::vector<double>{1.5, -2.25});
    CHECK(r.pixels == 10);
    std::map<int, Tensor> values = again.foundValues();
    REQUIRE(values.count(4) == 1);
    CHECK(values.at(4).data[1] == 3.0f);
  }
  exec::Checkpoints other(folder, "two", 0.0);
  CHECK(other.start() == exec::Checkpoints::Start::Mismatch);
  CHECK_FALSE(other.found());
  // The other command's files are gone: this one starts fresh next time.
  exec::Checkpoints fresh(folder, "one", 0.0);
  CHECK(fresh.start() == exec::Checkpoints::Start::Fresh);
  fresh.remove();
}
