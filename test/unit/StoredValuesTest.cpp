//===- StoredValuesTest.cpp - Stored images on disk equal those in memory -===//
//
// Random multi-stage networks (RandomNet.h: squeeze-and-excitation blocks
// and instance norms cut them into stages) run tile by tile with every
// stored image that may go to disk on disk: the outputs equal the run with
// them in memory bit for bit, the bytes on disk at once are the plan's, and
// each image is released after its last stage.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/exec/Executor.h"
#include "runtime/plan/ExecutionPlan.h"
#include "runtime/reference/Interpreter.h"
#include "runtime/reference/ReferenceBackend.h"
#include "test/unit/RandomNet.h"
#include "test/unit/TestPrograms.h"

#include <random>
#include <sys/stat.h>

using namespace sstep;

namespace {

std::vector<Tensor> runWith(const Program &program, const Tensor &x,
                            int64_t edge, plan::StorePolicy store,
                            exec::Stats &stats) {
  plan::TileRequest request;
  request.fixed = {edge, 0};
  request.store = store;
  plan::ExecutionPlan p = plan::planExecution(program, {x.dim(2), x.dim(3)},
                                              plan::BackendTraits{}, request);
  reference::ReferenceBackend backend;
  exec::Options options;
  options.scratchFolder = std::string(SSTEP_TEST_WORK_DIR);
  ::mkdir(SSTEP_TEST_WORK_DIR, 0755);
  return exec::execute(program, p, backend, {x}, options, &stats);
}

} // namespace

TEST_CASE("stored images on disk give the outputs they give in memory",
          "[stored]") {
  std::mt19937 rng(20261206);
  int onDisk = 0;
  int64_t read = 0;
  for (uint32_t seed = 1; seed <= 80; ++seed) {
    auto [image, channels, text] = test::randomCase(rng, seed, 3);
    INFO("seed " << seed << "\n" << text);
    Program program = test::compileProgram(text);
    Tensor x = test::randomImage(rng, channels, image[0], image[1]);
    int64_t edge = std::uniform_int_distribution<int64_t>(3, 17)(rng);
    INFO("tile edge " << edge);
    exec::Stats inMemory, inScratch;
    std::vector<Tensor> want =
        runWith(program, x, edge, plan::StorePolicy::Memory, inMemory);
    std::vector<Tensor> got =
        runWith(program, x, edge, plan::StorePolicy::Disk, inScratch);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      REQUIRE(got[i].shape == want[i].shape);
      CHECK(got[i].data == want[i].data);
    }
    CHECK(inMemory.scratchPeakBytes == 0);
    CHECK(inScratch.scratchPeakBytes == inScratch.storage.diskPeakBytes);
    CHECK(inScratch.storedPeakBytes <= inMemory.storedPeakBytes);
    if (inScratch.storage.diskPeakBytes > 0) {
      ++onDisk;
      // (A stage whose results nothing reads runs no tiles: its stored
      // operand is written, never read.)
      CHECK(inScratch.scratchWritten > 0);
      read += inScratch.scratchRead;
      CHECK(inScratch.storedPeakBytes < inMemory.storedPeakBytes);
    }
  }
  // The generator makes stages often enough for the test to mean something.
  CHECK(onDisk >= 10);
  CHECK(read > 0);
}

TEST_CASE("Auto stores on disk only when the budget needs it", "[stored]") {
  // A squeeze-and-excitation block: its input is stored between stages.
  const char *text = R"(
func.func @main(%x: tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32> {
  %w = arith.constant dense<0.25> : tensor<4x4x3x3xf32>
  %c = sstep.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x?x?xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x?x?xf32>
  %m = sstep.global_avg_pool2d %c : tensor<1x4x?x?xf32> -> tensor<1x4x1x1xf32>
  %s = sstep.sigmoid %m : tensor<1x4x1x1xf32>
  %y = sstep.mul %c, %s : (tensor<1x4x?x?xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x?x?xf32>
  return %y : tensor<1x4x?x?xf32>
}
)";
  Program program = test::compileProgram(text);
  plan::Stages stages = plan::planStages(program);
  plan::Sizes sizes = plan::predictSizes(program, stages, {1000, 1000});
  // The convolution's result goes to disk or not; the output is returned,
  // not stored between stages.
  auto place = [&](plan::StorePolicy policy, int64_t budget) {
    plan::StoragePlan p =
        plan::planStorage(program, stages, sizes, policy, budget, 1 << 20);
    REQUIRE(p.values.size() == 1);
    CHECK(p.values[0].value != program.outputs[0]);
    CHECK(p.values[0].bytes == 4 * 1000 * 1000 * 4);
    CHECK(p.values[0].mayGoToDisk);
    return p.values[0].onDisk;
  };
  CHECK_FALSE(place(plan::StorePolicy::Auto, 0));        // no budget
  CHECK_FALSE(place(plan::StorePolicy::Auto, 64 << 20)); // fits beside
  CHECK(place(plan::StorePolicy::Auto, 8 << 20));        // does not
  CHECK(place(plan::StorePolicy::Disk, 0));
  CHECK_FALSE(place(plan::StorePolicy::Memory, 8 << 20));
}

TEST_CASE("instance norms streamed over tiles equal the whole-image norm",
          "[stored]") {
  // sstep-stream-instance-norm writes each instance (or group) norm of the
  // random networks as three passes over tiles with the image between them
  // stored on disk; the outputs equal the whole-image norm's, run whole.
  std::mt19937 rng(20261207);
  int streamed = 0;
  for (uint32_t seed = 1; streamed < 25 && seed <= 400; ++seed) {
    auto [image, channels, text] = test::randomCase(rng, seed, 4);
    if (text.find("sstep.instance_norm") == std::string::npos)
      continue;
    ++streamed;
    INFO("seed " << seed << "\n" << text);
    Program whole = test::compileProgram(text);
    Program tiles = test::compileProgram(text, true);
    for (const Node &node : tiles.nodes)
      CHECK(node.op != "instance_norm");
    Tensor x = test::randomImage(rng, channels, image[0], image[1]);
    int64_t edge = std::uniform_int_distribution<int64_t>(3, 17)(rng);
    INFO("tile edge " << edge);
    exec::Stats stats;
    std::vector<Tensor> want = reference::run(whole, {x});
    std::vector<Tensor> got =
        runWith(tiles, x, edge, plan::StorePolicy::Disk, stats);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      REQUIRE(got[i].shape == want[i].shape);
      CHECK(test::relativeError(want[i], got[i]) <= 1e-5);
    }
  }
  CHECK(streamed == 25);
}

TEST_CASE("stored images computed again where they are read give the same "
          "outputs",
          "[stored]") {
  // sstep-recompute clones the chains that compute stored images into the
  // stages reading them: with every chain it can (always) and by its cost
  // model (auto), the outputs of random multi-stage networks equal those
  // with every image stored, bit for bit on the reference kernels, tiled
  // with the images on disk; and fewer images are stored.
  std::mt19937 rng(20261208);
  int fewer = 0, networks = 0;
  for (uint32_t seed = 1; networks < 40 && seed <= 400; ++seed) {
    auto [image, channels, text] = test::randomCase(rng, seed, 3);
    Program stored = test::compileProgram(text, true);
    if (plan::planStages(stored).stages.size() < 2)
      continue;
    ++networks;
    INFO("seed " << seed << "\n" << text);
    Tensor x = test::randomImage(rng, channels, image[0], image[1]);
    int64_t edge = std::uniform_int_distribution<int64_t>(3, 17)(rng);
    INFO("tile edge " << edge);
    exec::Stats base;
    std::vector<Tensor> want =
        runWith(stored, x, edge, plan::StorePolicy::Disk, base);
    for (const char *policy : {"always", "auto"}) {
      INFO("policy " << policy);
      Program recomputed = test::compileProgram(text, true, policy);
      exec::Stats stats;
      std::vector<Tensor> got =
          runWith(recomputed, x, edge, plan::StorePolicy::Disk, stats);
      REQUIRE(got.size() == want.size());
      for (size_t i = 0; i < want.size(); ++i) {
        REQUIRE(got[i].shape == want[i].shape);
        CHECK(got[i].data == want[i].data);
      }
      CHECK(stats.storage.diskPeakBytes <= base.storage.diskPeakBytes);
      if (std::string(policy) == "always")
        fewer += stats.storage.values.size() < base.storage.values.size();
    }
  }
  CHECK(networks == 40);
  // The generator's stored images are often recomputable.
  CHECK(fewer >= 10);
}
