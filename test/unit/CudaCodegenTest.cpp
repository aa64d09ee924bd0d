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

#include "compiler/CudaCodegen/GenerateCuda.h"
#include "compiler/CudaCodegen/KernelGrouping.h"
#include "runtime/core/Npy.h"
#include "runtime/core/PlanFile.h"
#include "runtime/reference/Interpreter.h"
#include "test/unit/RandomNet.h"
#include "test/unit/TestPrograms.h"

#include <cstdlib>
#include <filesystem>
#include <set>

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
