//===- GenerateCuda.cpp - A Program's CUDA kernels, compiled --------------===//

#include "compiler/CudaCodegen/GenerateCuda.h"
#include "compiler/CudaCodegen/EmitCuda.h"
#include "compiler/CudaCodegen/KernelGrouping.h"
#include "runtime/core/RuntimeError.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace sstep::cuda {
namespace {

namespace fs = std::filesystem;

std::string nvccPath(const CudaOptions &options) {
  if (!options.nvcc.empty())
    return options.nvcc;
  if (const char *env = std::getenv("SSTEP_NVCC"))
    return env;
  return SSTEP_DEFAULT_NVCC;
}

std::string readFile(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

/// A private scratch folder, removed when it goes out of scope.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string pattern =
        (fs::temp_directory_path() / "sstep-nvcc-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      throw RuntimeError("cannot create a folder for nvcc in " +
                         fs::temp_directory_path().string());
    path = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string shellQuoted(const std::string &s) {
  std::string q = "'";
  for (char ch : s)
    q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

} // namespace

std::string cudaSource(const Program &program, const std::string &precision) {
  return emitCudaSource(program, groupKernels(program), precision);
}

namespace {

/// Runs nvcc on `source` with `flags` (what to make, for which
/// architectures); returns the bytes it wrote.
std::string runNvcc(const std::string &source, const CudaOptions &options,
                    const std::string &flags) {
  ScratchDir dir;
  fs::path cu = dir.path / "kernels.cu", out = dir.path / "kernels.out",
           log = dir.path / "nvcc.log";
  std::ofstream(cu) << source;
  std::string nvcc = nvccPath(options);
  std::string command = shellQuoted(nvcc) + " -O3 -std=c++17 " + flags;
  for (const std::string &include : options.includeDirs)
    command += " -I" + shellQuoted(include);
  command += " -o " + shellQuoted(out.string()) + " " +
             shellQuoted(cu.string()) + " >" + shellQuoted(log.string()) +
             " 2>&1";
  int status = std::system(command.c_str());
  if (status != 0 || !fs::exists(out)) {
    std::string messages = readFile(log);
    if (messages.size() > 4000)
      messages = "..." + messages.substr(messages.size() - 4000);
    throw RuntimeError("nvcc (" + nvcc +
                       ") failed to compile the generated CUDA kernels; "
                       "set SSTEP_NVCC to another nvcc:\n" +
                       messages);
  }
  return readFile(out);
}

std::string lastArchitecture(const CudaOptions &options) {
  return options.architectures.empty()
             ? std::string("80")
             : std::to_string(options.architectures.back());
}

} // namespace

std::string compileFatbin(const std::string &source,
                          const CudaOptions &options) {
  std::string flags = "--fatbin";
  for (int sm : options.architectures)
    flags += " -gencode arch=compute_" + std::to_string(sm) + ",code=sm_" +
             std::to_string(sm);
  if (!options.architectures.empty()) {
    std::string last = lastArchitecture(options);
    flags += " -gencode arch=compute_" + last + ",code=compute_" + last;
  }
  return runNvcc(source, options, flags);
}

std::string compilePtx(const std::string &source, const CudaOptions &options) {
  return runNvcc(source, options,
                 "--ptx -arch=compute_" + lastArchitecture(options));
}

void generateCudaKernels(Program &program, const CudaOptions &options) {
  std::vector<GeneratedKernel> kernels = groupKernels(program);
  std::string source = emitCudaSource(program, kernels, options.precision);
  KernelModule module;
  module.target = "cuda";
  module.precision = options.precision;
  for (int sm : options.architectures)
    module.architectures +=
        (module.architectures.empty() ? "sm_" : ",sm_") + std::to_string(sm);
  // Even a program with no generated kernel gets its (empty) module: the
  // plan then says it was compiled for CUDA at this precision.
  module.image =
      kernels.empty() ? std::string() : compileFatbin(source, options);
  module.kernels = std::move(kernels);
  program.kernels = std::move(module);
}

} // namespace sstep::cuda
