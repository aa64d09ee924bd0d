//===- CudaBackendTest.cpp - The cuda backend against the reference -------===//
//
// On a GPU only (sstep-gpu-tests; scripts/gpu-check.sh). The cases are plans
// compiled with --target=cuda elsewhere, with their input and the reference
// backend's whole-image outputs (CudaCodegenTest.cpp's [gpu-cases], and the
// exported models gpu-check.sh --prepare adds), in $SSTEP_GPU_CASES. Each
// runs whole and in tiles of several edges, and must match within the
// tolerance of its precision (docs/cuda.md): fp32 1e-4, fp16 2e-2 and bf16
// 8e-2 of the output's largest magnitude.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "runtime/api/Model.h"
#include "runtime/core/Npy.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>

using namespace sstep;
namespace fs = std::filesystem;

namespace {

double relativeError(const Tensor &want, const Tensor &got) {
  if (want.shape != got.shape)
    return std::numeric_limits<double>::infinity();
  double diff = 0, scale = 1e-30;
  for (size_t i = 0; i < want.data.size(); ++i) {
    if (std::isnan(want.data[i]) != std::isnan(got.data[i]))
      return std::numeric_limits<double>::infinity();
    if (std::isnan(want.data[i]))
      continue;
    diff = std::max(diff, double(std::fabs(want.data[i] - got.data[i])));
    scale = std::max(scale, double(std::fabs(want.data[i])));
  }
  return diff / scale;
}

double toleranceOf(const std::string &precision) {
  if (precision == "fp16")
    return 2e-2;
  if (precision == "bf16")
    return 8e-2;
  return 1e-4;
}

std::vector<fs::path> caseDirs() {
  const char *root = std::getenv("SSTEP_GPU_CASES");
  if (!root)
    FAIL("SSTEP_GPU_CASES is not set: run scripts/gpu-check.sh, which "
         "prepares the cases with --prepare");
  std::vector<fs::path> dirs;
  for (const auto &entry : fs::directory_iterator(root))
    if (fs::exists(entry.path() / "plan.sstep"))
      dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  REQUIRE(!dirs.empty());
  return dirs;
}

} // namespace

TEST_CASE("cuda equals the reference, whole and tiled", "[gpu][cuda]") {
  std::map<std::string, double> worst; // per precision, for docs/cuda.md
  for (const fs::path &dir : caseDirs()) {
    Model model = Model::load((dir / "plan.sstep").string());
    const std::string &precision = model.program().kernels.precision;
    Tensor input = readNpy((dir / "input.npy").string());
    std::vector<Tensor> expected;
    for (int i = 0;
         fs::exists(dir / ("expected-" + std::to_string(i) + ".npy")); ++i)
      expected.push_back(
          readNpy((dir / ("expected-" + std::to_string(i) + ".npy")).string()));
    REQUIRE(!expected.empty());
    for (int64_t tile : {0, 5, 16, 64}) {
      INFO(dir.filename().string() << ", tile " << tile);
      RunOptions options;
      options.backend = "cuda";
      options.tileEdge = tile;
      options.deviceMemory = int64_t(1) << 30;
      exec::Stats stats;
      std::vector<Tensor> got;
      // One failing case must not hide the others: each run's error is
      // reported and the next case runs.
      try {
        got = model.run({input}, options, &stats);
      } catch (const std::exception &e) {
        FAIL_CHECK(e.what());
        continue;
      }
      REQUIRE(got.size() == expected.size());
      for (size_t i = 0; i < got.size(); ++i) {
        double error = relativeError(expected[i], got[i]);
        INFO("output " << i << ": relative error " << error << " (" << precision
                       << ")");
        CHECK(error <= toleranceOf(precision));
        worst[precision] = std::max(worst[precision], error);
      }
    }
  }
  for (const auto &[precision, error] : worst)
    WARN("largest relative error, " << precision << ": " << error);
}

TEST_CASE("cuda device memory does not grow with the image", "[gpu][cuda]") {
  // The first case's plan on ever larger inputs in tiles of one edge: the
  // arena's high-water mark stays within 1% of where the first size put it.
  fs::path dir = caseDirs().front();
  Model model = Model::load((dir / "plan.sstep").string());
  Tensor small = readNpy((dir / "input.npy").string());
  std::vector<int64_t> peaks;
  for (int64_t edge : {256, 512, 1024}) {
    Tensor input({1, small.dim(1), edge, edge});
    for (size_t i = 0; i < input.data.size(); ++i)
      input.data[i] = small.data[i % small.data.size()];
    RunOptions options;
    options.backend = "cuda";
    options.tileEdge = 128;
    options.deviceMemory = int64_t(1) << 30;
    exec::Stats stats;
    model.run({input}, options, &stats);
    peaks.push_back(stats.counters.at("device_peak_bytes"));
  }
  INFO("device peaks " << peaks[0] << ", " << peaks[1] << ", " << peaks[2]);
  // First fit places edge tiles' blocks a little differently, so the mark
  // moves by kilobytes; growth with the image would move it by its area.
  CHECK(peaks[1] <= peaks[0] + peaks[0] / 100);
  CHECK(peaks[2] <= peaks[0] + peaks[0] / 100);
}

TEST_CASE("a plan not compiled for CUDA is refused by name", "[gpu][cuda]") {
  fs::path dir = caseDirs().front();
  Program plain = Model::load((dir / "plan.sstep").string()).program();
  plain.kernels = KernelModule();
  Model model(std::move(plain));
  RunOptions options;
  options.backend = "cuda";
  Tensor input = readNpy((dir / "input.npy").string());
  CHECK_THROWS_WITH(model.run({input}, options),
                    Catch::Contains("not compiled for CUDA"));
}
