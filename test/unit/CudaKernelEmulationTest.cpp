//===- CudaKernelEmulationTest.cpp - Generated kernels vs the reference ---===//
//
// Without a GPU: the fp32 CUDA kernels generated for random networks are
// compiled as host C++ (CudaHostShim.h) and each is run on an interior block
// of its output, reading whole-image inputs that the reference computed. Its
// result must equal the reference's value of the kernel's last node there.
// This checks what the generator writes (element-wise chains, epilogues,
// pooling, pad, resize, concat, broadcasting, image-coordinate indexing and
// border rules); the GPU tests check the rest on a device.
//
//===----------------------------------------------------------------------===//

#include <catch2/catch.hpp>

#include "compiler/CudaCodegen/EmitCuda.h"
#include "compiler/CudaCodegen/KernelGrouping.h"
#include "runtime/cuda/KernelAbi.h"
#include "runtime/reference/Interpreter.h"
#include "test/unit/RandomNet.h"
#include "test/unit/TestPrograms.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace sstep;
namespace fs = std::filesystem;

namespace {

/// Every value of `program` on `input`, by value id.
std::map<int, Tensor> allValues(Program program, const Tensor &input) {
  std::vector<int> ids;
  for (const Node &node : program.nodes)
    for (int r : node.results)
      ids.push_back(r);
  program.outputs = ids;
  program.outputNames.clear();
  std::vector<Tensor> values = reference::run(program, {input});
  std::map<int, Tensor> byId;
  for (size_t i = 0; i < ids.size(); ++i)
    byId[ids[i]] = std::move(values[i]);
  byId[program.inputs[0]] = input;
  return byId;
}

/// NHWC copy of NCHW `t`.
std::vector<float> toNhwc(const Tensor &t) {
  int64_t n = t.dim(0), c = t.dim(1), h = t.dim(2), w = t.dim(3);
  std::vector<float> out(t.data.size());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          out[((b * h + y) * w + x) * c + ch] =
              t.data[((b * c + ch) * h + y) * w + x];
  return out;
}

SStepBlock wholeBlock(std::vector<float> &data, const Tensor &t) {
  SStepBlock b{};
  b.data = data.data();
  b.rows = t.dim(2);
  b.cols = t.dim(3);
  b.batch = t.dim(0);
  b.channels = t.dim(1);
  b.imageH = t.dim(2);
  b.imageW = t.dim(3);
  return b;
}

using KernelFn = void (*)(SStepArgs);

/// Compiles `source` as host C++ into a shared library and opens it.
void *compileOnHost(const std::string &source, const fs::path &dir) {
  fs::create_directories(dir);
  std::ofstream(dir / "kernels.cc") << source;
  std::string command = std::string(SSTEP_TEST_CXX) +
                        " -std=c++17 -O1 -shared -fPIC -w -include " +
                        SSTEP_TEST_SHIM + " " + (dir / "kernels.cc").string() +
                        " -o " + (dir / "kernels.so").string() + " 2> " +
                        (dir / "log.txt").string();
  if (std::system(command.c_str()) != 0) {
    std::ifstream log(dir / "log.txt");
    std::string text((std::istreambuf_iterator<char>(log)), {});
    FAIL("the generated kernels do not compile as host C++:\n" << text);
  }
  void *library = dlopen((dir / "kernels.so").c_str(), RTLD_NOW | RTLD_LOCAL);
  REQUIRE(library);
  return library;
}

} // namespace

TEST_CASE("Generated kernels compute what the reference computes",
          "[cuda-codegen]") {
  int checked = 0;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed * 104729u);
    std::array<int64_t, 2> image{
        std::uniform_int_distribution<int64_t>(9, 40)(rng),
        std::uniform_int_distribution<int64_t>(9, 40)(rng)};
    int64_t channels = std::uniform_int_distribution<int64_t>(1, 4)(rng);
    test::RandomNet net(seed, image, channels);
    std::string text =
        net.build(std::uniform_int_distribution<int>(4, 12)(rng));
    INFO("seed " << seed << "\n" << text);
    Program program = test::compileProgram(text);
    std::vector<GeneratedKernel> kernels = cuda::groupKernels(program);
    if (kernels.empty())
      continue;
    std::string source = cuda::emitCudaSource(program, kernels, "fp32");
    void *library =
        compileOnHost(source, fs::path(SSTEP_TEST_WORK_DIR) /
                                  ("emulate-" + std::to_string(seed)));
    Tensor input = test::randomImage(rng, channels, image[0], image[1]);
    std::map<int, Tensor> values = allValues(program, input);

    for (const GeneratedKernel &kernel : kernels) {
      INFO("kernel " << kernel.symbol << " (" << kernel.kind << ")");
      const Node &first = program.nodes[kernel.nodes.front()];
      int result = program.nodes[kernel.nodes.back()].results[0];
      const Tensor &want = values.at(result);
      std::vector<std::vector<float>> storage;
      storage.reserve(kernel.inputs.size() + 1);
      SStepArgs args{};
      for (size_t k = 0; k < kernel.inputs.size(); ++k) {
        int v = kernel.inputs[k];
        Tensor t = values.count(v) ? values.at(v) : Tensor();
        if (kernel.kind == "epilogue" && k == 0 && first.operands.size() > 2) {
          // The convolution's raw result: without its bias.
          const Tensor &bias = program.constants.get(first.operands[2]);
          int64_t plane = t.dim(2) * t.dim(3);
          for (int64_t i = 0; i < t.size(); ++i)
            t.data[i] -= bias.data[(i / plane) % t.dim(1)];
        }
        storage.push_back(toNhwc(t));
        args.in[k] = wholeBlock(storage.back(), t);
      }
      // The whole output (its borders), then an interior block placed in
      // its image.
      int64_t h = want.dim(2), w = want.dim(3), c = want.dim(1);
      for (bool interior : {false, true}) {
        int64_t y0 = interior ? h / 4 : 0, x0 = interior ? w / 3 : 0;
        int64_t rows = interior ? std::max<int64_t>(h / 2, 1) : h,
                cols = interior ? std::max<int64_t>(w / 2, 1) : w;
        std::vector<float> out(size_t(want.dim(0) * rows * cols * c));
        args.out = SStepBlock{out.data(),  y0, x0,          rows,       cols,
                              want.dim(0), c,  want.dim(2), want.dim(3)};
        args.count = int64_t(out.size());
        auto fn =
            reinterpret_cast<KernelFn>(dlsym(library, kernel.symbol.c_str()));
        REQUIRE(fn);
        fn(args);
        double diff = 0, scale = 1e-30;
        for (int64_t b = 0; b < want.dim(0); ++b)
          for (int64_t ch = 0; ch < c; ++ch)
            for (int64_t y = 0; y < rows; ++y)
              for (int64_t x = 0; x < cols; ++x) {
                float r = want.data[((b * c + ch) * h + y0 + y) * w + x0 + x];
                float g = out[((b * rows + y) * cols + x) * c + ch];
                if (std::isnan(r) || std::isnan(g)) {
                  CHECK(std::isnan(r) == std::isnan(g));
                  continue;
                }
                diff = std::max(diff, double(std::fabs(r - g)));
                scale = std::max(scale, double(std::fabs(r)));
              }
        INFO((interior ? "interior block" : "whole output"));
        CHECK(diff / scale <= 1e-5);
      }
      ++checked;
    }
    dlclose(library);
  }
  CHECK(checked >= 40);
}
