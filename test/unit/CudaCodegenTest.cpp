//===- CudaCodegenTest.cpp - Generated CUDA for random networks -----------===//
//
// Without a GPU: the kernels generated for random networks (every op the
// generator has a rule for, in random combinations) compile with nvcc, and
// the kernel table is consistent with the Program. With `[gpu-cases]`
// (hidden; scripts/gpu-check.sh --prepare runs it) the same networks are
// written out as plans with inputs and reference outputs, which the GPU
// tests (test/unit/CudaBackendTest.cpp) run on the cuda backend.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "compiler/CudaCodegen/EmitCuda.h"
#include "compiler/CudaCodegen/GenerateCuda.h"
#include "compiler/CudaCodegen/KernelGrouping.h"
#include "runtime/core/Npy.h"
#include "runtime/core/PlanFile.h"
#include "runtime/cuda/LaunchGrid.h"
#include "runtime/reference/Interpreter.h"
#include "test/unit/RandomNet.h"
#include "test/unit/TestPrograms.h"

#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

using namespace sstep;

namespace {

struct Case {
  uint32_t seed;
  std::array<int64_t, 2> image;
  int64_t channels;
  Program program;
  Tensor input;
};

Case randomCase(uint32_t seed) {
  std::mt19937 rng(seed * 7919u);
  Case c;
  c.seed = seed;
  c.image = {std::uniform_int_distribution<int64_t>(9, 48)(rng),
             std::uniform_int_distribution<int64_t>(9, 48)(rng)};
  c.channels = std::uniform_int_distribution<int64_t>(1, 4)(rng);
  test::RandomNet net(seed, c.image, c.channels);
  std::string text = net.build(std::uniform_int_distribution<int>(4, 12)(rng));
  INFO("seed " << seed << "\n" << text);
  c.program = test::compileProgram(text);
  c.input = test::randomImage(rng, c.channels, c.image[0], c.image[1]);
  return c;
}

} // namespace

TEST_CASE("Generated CUDA compiles for random networks", "[cuda-codegen]") {
  std::set<std::string> kinds;
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    Case c = randomCase(seed);
    INFO("seed " << seed);
    cuda::CudaOptions options;
    options.precision = seed % 3 == 0 ? "fp16" : "fp32";
    REQUIRE_NOTHROW(cuda::generateCudaKernels(c.program, options));
    const KernelModule &module = c.program.kernels;
    CHECK(module.target == "cuda");
    if (module.kernels.empty())
      continue;
    CHECK(module.image.size() > 1000);
    std::set<int> seen;
    for (const GeneratedKernel &kernel : module.kernels) {
      kinds.insert(kernel.kind);
      CHECK(kernel.inputs.size() <= size_t(kMaxKernelInputs));
      for (int id : kernel.nodes) {
        // Every node is in at most one kernel, and every kernel node is a
        // tile node (others run once, on the host).
        CHECK(seen.insert(id).second);
        CHECK(c.program.nodes[id].role == Role::Tile);
      }
    }
  }
  // The networks exercise more than one kind of kernel.
  CHECK(kinds.size() >= 3);
}

namespace {

/// The PTX instructions of `ptx` that divide or take a remainder in 64
/// bits ("div.s64", "rem.u64"), one per line.
std::vector<std::string> wideDivisions(const std::string &ptx) {
  std::vector<std::string> found;
  std::istringstream lines(ptx);
  for (std::string line; std::getline(lines, line);)
    for (const char *op : {"div.s64", "div.u64", "rem.s64", "rem.u64"})
      if (line.find(op) != std::string::npos)
        found.push_back(line);
  return found;
}

} // namespace

TEST_CASE("Generated and layout kernels divide nothing in 64 bits",
          "[cuda-codegen]") {
  cuda::CudaOptions options;
  // The check finds a 64-bit division where there is one.
  std::string wide = cuda::compilePtx(
      "extern \"C\" __global__ void k(long long *p, long long d) {\n"
      "  p[threadIdx.x] = p[threadIdx.x] / d % (d + 3);\n}\n",
      options);
  CHECK(wideDivisions(wide).size() >= 2);

  int kernels = 0;
  for (uint32_t seed = 1; seed <= 8; ++seed) {
    Case c = randomCase(seed);
    INFO("seed " << seed);
    for (const char *precision : {"fp32", "fp16"}) {
      INFO(precision);
      std::vector<GeneratedKernel> grouped = cuda::groupKernels(c.program);
      kernels += int(grouped.size());
      if (grouped.empty())
        continue;
      std::string ptx = cuda::compilePtx(
          cuda::emitCudaSource(c.program, grouped, precision), options);
      std::vector<std::string> found = wideDivisions(ptx);
      INFO((found.empty() ? std::string() : found[0]));
      CHECK(found.empty());
    }
  }
  CHECK(kernels >= 16);

  // The runtime's own kernels: uploads, downloads, padded gathers.
  options.includeDirs = {SSTEP_TEST_SOURCE_DIR};
  std::string layout =
      cuda::compilePtx("#include \"runtime/cuda/Layout.cu\"\n", options);
  CHECK(layout.find(".entry") != std::string::npos);
  std::vector<std::string> found = wideDivisions(layout);
  INFO((found.empty() ? std::string() : found[0]));
  CHECK(found.empty());
}

TEST_CASE("Launch grids cover a block in 32-bit indices", "[cuda-codegen]") {
  SStepBlock out{};
  out.batch = 1;
  out.channels = 64;
  out.rows = 512;
  out.cols = 512;
  cuda::LaunchGrid grid = cuda::launchGrid(out, 4096);
  CHECK(grid.x == 128); // 32768 elements a row, 256 threads a block
  CHECK(grid.y == 32);
  out.rows = 0;
  CHECK(cuda::launchGrid(out, 4096).x == 0);
  // A row too long for an int is refused by name, not wrapped.
  out.rows = 8;
  out.cols = 1 << 22;
  out.channels = 1024;
  CHECK_THROWS_WITH(cuda::launchGrid(out, 4096),
                    Catch::Contains("1 x 1024 x 8 x 4194304") &&
                        Catch::Contains("32-bit"));
  // Few rows: the grid's y never exceeds them, nor CUDA's 65535.
  out.cols = 3;
  out.channels = 3;
  out.rows = 2;
  CHECK(cuda::launchGrid(out, 4096).y == 2);
  out.rows = 1 << 20;
  CHECK(cuda::launchGrid(out, 1u << 20).y == 65535);
}

TEST_CASE("Two convolutions summed share one epilogue", "[cuda-codegen]") {
  // Each conv's result is read only by the add, so either epilogue could
  // take it; the first one does and the second stops before it.
  Program program = test::compileProgram(R"(
func.func @main(%x: tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32> {
  %w = arith.constant dense<0.1> : tensor<2x2x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<2xf32>
  %p = sstep.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x?x?xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x?x?xf32>
  %q = sstep.conv2d %x, %w, %b {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x?x?xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x?x?xf32>
  %s = sstep.add %p, %q : (tensor<1x2x?x?xf32>, tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
  return %s : tensor<1x2x?x?xf32>
}
)");
  std::vector<GeneratedKernel> kernels = cuda::groupKernels(program);
  REQUIRE(kernels.size() == 2);
  CHECK(kernels[0].kind == "epilogue");
  CHECK(kernels[0].nodes.size() == 2);
  CHECK(kernels[1].kind == "epilogue");
  CHECK(kernels[1].nodes.size() == 1);
  // The add reads the second convolution's result from its block.
  CHECK(kernels[0].inputs.size() == 2);
}

TEST_CASE("Random-network cases for the GPU tests", "[.gpu-cases]") {
  const char *out = std::getenv("SSTEP_GPU_CASES_OUT");
  REQUIRE(out);
  int count = std::getenv("SSTEP_GPU_CASES_COUNT")
                  ? std::atoi(std::getenv("SSTEP_GPU_CASES_COUNT"))
                  : 24;
  for (uint32_t seed = 1; seed <= uint32_t(count); ++seed) {
    Case c = randomCase(seed);
    std::vector<Tensor> expected = reference::run(c.program, {c.input});
    for (const char *precision : {"fp32", "fp16", "bf16"}) {
      // Half precisions on every fourth network: they are for tolerance
      // checks, not coverage.
      if (std::string(precision) != "fp32" && seed % 4 != 0)
        continue;
      Program program = c.program;
      cuda::CudaOptions options;
      options.precision = precision;
      cuda::generateCudaKernels(program, options);
      std::filesystem::path dir =
          std::filesystem::path(out) /
          ("random-" + std::to_string(seed) + "-" + precision);
      std::filesystem::create_directories(dir);
      writePlan((dir / "plan.sstep").string(), program, PlanInfo());
      writeNpy((dir / "input.npy").string(), c.input.shape,
               c.input.data.data());
      for (size_t i = 0; i < expected.size(); ++i)
        writeNpy((dir / ("expected-" + std::to_string(i) + ".npy")).string(),
                 expected[i].shape, expected[i].data.data());
    }
  }
}
