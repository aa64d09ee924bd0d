//===- sstep-compile.cpp - ONNX to a plan file ----------------------------===//
//
// sstep-compile MODEL -o PLAN [--target=cpu|reference] [--memory-budget=SIZE]
//               [--tile=N|auto] [--recompute=auto|always|never]
//               [--print-ir-after-all] [--emit=plan|mlir|exe]
//
// Runs the pipeline of compiler/Pipeline (import, canonicalize, partition,
// export) and writes the Program as a plan (runtime/core/PlanFile.h) that
// sstep-run loads without MLIR, or as an inference binary: the AOT runner
// with the plan appended (runtime/core/EmbeddedPlan.h). Exit codes: 0 success,
// 2 bad input (unreadable or unsupported model, unwritable output, usage), 1
// internal error.
//
//===----------------------------------------------------------------------===//

#include "compiler/CudaCodegen/GenerateCuda.h"
#include "compiler/Pipeline/Pipeline.h"
#include "runtime/core/EmbeddedPlan.h"
#include "runtime/core/PlanFile.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/plan/MemoryPlan.h"
#include "tools/common/Args.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>

using namespace sstep;
using sstep::tool::Args;
using sstep::tool::UsageError;

namespace {

const char *kUsage =
    "usage: sstep-compile MODEL -o PLAN [options]\n"
    "       sstep-compile MODEL --emit=exe -o NAME [options]\n"
    "\n"
    "Compiles MODEL (.onnx or ONNX text) into PLAN (model.sstep), which\n"
    "sstep-run runs like the model itself, without compiling it again; or\n"
    "into NAME, a standalone inference binary: `NAME SLIDE -o OUT.tif`\n"
    "takes sstep-run's options and needs no compiler, MLIR or model file.\n"
    "\n"
    "options:\n"
    "  -o FILE                 the plan (or, with --emit=mlir, the IR; '-'\n"
    "                          or none: stdout)\n"
    "  --target=cpu|reference|cuda\n"
    "                          the backend the plan is meant for (default\n"
    "                          reference; cpu for --emit=exe), recorded in\n"
    "                          the plan: a binary's default backend; cuda\n"
    "                          generates the CUDA kernels and compiles them\n"
    "                          with nvcc (SSTEP_NVCC) into the plan\n"
    "  --precision=fp32|fp16|bf16\n"
    "                          storage type of --target=cuda (default fp32;\n"
    "                          arithmetic is fp32 throughout)\n"
    "  --memory-budget=SIZE    working-set budget, such as 512MiB, recorded\n"
    "                          in the plan (implies --tile=auto)\n"
    "  --tile=N|auto           tile edge in input pixels, or auto, recorded\n"
    "                          in the plan\n"
    "  --recompute=auto|always|never\n"
    "                          images stored between stages that are cheap\n"
    "                          to compute again: computed again where they\n"
    "                          are read (auto: by the cost model; default)\n"
    "  --print-ir-after-all    print the IR after every pass to stderr\n"
    "  --emit=plan|mlir|exe|cuda\n"
    "                          write the plan (default), the partitioned\n"
    "                          IR, an inference binary or the generated\n"
    "                          CUDA C++ (--target=cuda)\n"
    "  --runner=FILE           the AOT runner --emit=exe copies (default:\n"
    "                          sstep-aot-runner beside sstep-compile)\n";

/// Lower-case hex SHA-256 of the file at `path`.
std::string sha256Of(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    throw RuntimeError(path + ": cannot read: " + buffer.getError().message());
  auto digest = llvm::SHA256::hash(llvm::arrayRefFromStringRef(llvm::StringRef(
      (*buffer)->getBufferStart(), (*buffer)->getBufferSize())));
  return llvm::toHex(digest, /*LowerCase=*/true);
}

/// Now in UTC, ISO 8601; SOURCE_DATE_EPOCH, when set, stands for now so that
/// a plan can be rebuilt byte for byte.
std::string creationTime() {
  std::time_t now = std::time(nullptr);
  if (const char *epoch = std::getenv("SOURCE_DATE_EPOCH"))
    now = static_cast<std::time_t>(std::strtoll(epoch, nullptr, 10));
  char text[32];
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

/// The metadata of the plan, from the options; usage errors for bad values.
PlanInfo planInfoOf(const Args &args, const std::string &model,
                    const std::string &emit) {
  PlanInfo info;
  info.producer = std::string("sstep-compile ") + SSTEP_VERSION;
  info.source = model;
  info.target = args.get("target", emit == "exe"    ? "cpu"
                                   : emit == "cuda" ? "cuda"
                                                    : "reference");
  if (info.target != "cpu" && info.target != "reference" &&
      info.target != "cuda")
    throw UsageError("--target takes cpu, reference or cuda, got '" +
                     info.target + "'");
  if (args.has("memory-budget")) {
    try {
      info.memoryBudget = plan::parseBytes(args.get("memory-budget"));
    } catch (const std::invalid_argument &e) {
      throw UsageError(std::string("--memory-budget: ") + e.what());
    }
  }
  info.tile = args.get("tile", args.has("memory-budget") ? "auto" : "");
  if (!info.tile.empty() && info.tile != "auto" &&
      tool::parseInt("--tile", info.tile) < 1)
    throw UsageError("--tile takes auto or a positive edge in pixels, got " +
                     info.tile);
  info.created = creationTime();
  return info;
}

/// Writes `text` to `path` ('-': stdout) through MLIR's output file, which
/// appears only when complete.
void writeText(const std::string &path, const std::string &text) {
  std::string error;
  auto output = mlir::openOutputFile(path, &error);
  if (!output)
    throw RuntimeError(error);
  output->os() << text;
  output->keep();
}

/// The AOT runner: --runner, else sstep-aot-runner beside this program, else
/// in ../libexec/sstep (an installed tree).
std::string runnerPath(const Args &args) {
  if (args.has("runner")) {
    if (!std::filesystem::is_regular_file(args.get("runner")))
      throw RuntimeError(args.get("runner") + ": no such runner (--runner)");
    return args.get("runner");
  }
  std::error_code ec;
  std::filesystem::path self =
      std::filesystem::read_symlink("/proc/self/exe", ec);
  std::filesystem::path dir = self.parent_path();
  for (const std::filesystem::path &candidate :
       {dir / "sstep-aot-runner",
        dir / ".." / "libexec" / "sstep" / "sstep-aot-runner"})
    if (!ec && std::filesystem::exists(candidate))
      return candidate.string();
  throw RuntimeError("cannot find sstep-aot-runner beside " + self.string() +
                     " or in ../libexec/sstep; name it with --runner=FILE");
}

int run(const std::vector<std::string> &argv) {
  Args args(argv, {"help", "print-ir-after-all"},
            {"o", "target", "memory-budget", "tile", "emit", "runner",
             "precision", "recompute"});
  if (args.has("help")) {
    std::cout << kUsage;
    return 0;
  }
  if (args.positional().size() != 1)
    throw UsageError("expected one MODEL");
  const std::string &model = args.positional()[0];
  std::string emit = args.get("emit", "plan");
  if (emit != "plan" && emit != "mlir" && emit != "exe" && emit != "cuda")
    throw UsageError("--emit takes plan, mlir, exe or cuda, got '" + emit +
                     "'");
  if (emit != "mlir" && emit != "cuda" &&
      (!args.has("o") || args.get("o") == "-"))
    throw UsageError("no output file given (-o FILE; a plan or binary is "
                     "written to a file, renamed into place when complete)");
  PlanInfo info = planInfoOf(args, model, emit);
  cuda::CudaOptions cudaOptions;
  cudaOptions.precision = args.get("precision", "fp32");
  if (cudaOptions.precision != "fp32" && cudaOptions.precision != "fp16" &&
      cudaOptions.precision != "bf16")
    throw UsageError("--precision takes fp32, fp16 or bf16, got '" +
                     cudaOptions.precision + "'");
  if (args.has("precision") && info.target != "cuda")
    throw UsageError("--precision needs --target=cuda");
  // Found before compiling, so a missing runner fails fast.
  std::string runner = emit == "exe" ? runnerPath(args) : "";

  PipelineOptions options;
  options.printIRAfterAll = args.has("print-ir-after-all");
  options.toolName = "sstep-compile";
  options.recompute = args.get("recompute", "auto");
  if (options.recompute != "auto" && options.recompute != "always" &&
      options.recompute != "never")
    throw UsageError("--recompute takes auto, always or never, got '" +
                     options.recompute + "'");
  CompiledModel compiled = compileModel(model, options);

  if (emit == "mlir") {
    std::string error;
    auto output = mlir::openOutputFile(args.get("o", "-"), &error);
    if (!output)
      throw RuntimeError(error);
    compiled.module->print(output->os());
    output->keep();
    return 0;
  }
  if (emit == "cuda") {
    if (info.target != "cuda")
      throw UsageError("--emit=cuda needs --target=cuda");
    writeText(args.get("o", "-"),
              cuda::cudaSource(compiled.program, cudaOptions.precision));
    return 0;
  }
  if (info.target == "cuda")
    cuda::generateCudaKernels(compiled.program, cudaOptions);
  info.sourceSha256 = sha256Of(model);
  if (emit == "plan") {
    writePlan(args.get("o"), compiled.program, info);
    return 0;
  }
  std::string plan = args.get("o") + ".plan";
  writePlan(plan, compiled.program, info);
  try {
    writeExecutableWithPlan(runner, plan, args.get("o"));
  } catch (...) {
    std::remove(plan.c_str());
    throw;
  }
  std::remove(plan.c_str());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError &e) {
    std::cerr << "sstep-compile: error: " << e.what() << "\n\n" << kUsage;
    return 2;
  } catch (const CompileError &e) {
    std::cerr << "sstep-compile: error: " << e.what() << "\n";
    return 2;
  } catch (const RuntimeError &e) {
    std::cerr << "sstep-compile: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception &e) {
    std::cerr << "sstep-compile: internal error: " << e.what() << "\n";
    return 1;
  }
}
