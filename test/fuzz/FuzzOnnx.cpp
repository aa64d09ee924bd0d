//===- FuzzOnnx.cpp - ONNX models: any bytes, a clean error or a Program --===//
//
// The whole of what sstep-compile does with a model: protobuf parse (or
// ONNX's text parser, for inputs in its textual syntax), ONNX's checker,
// import, verification of the imported IR, the compiler's passes and the
// export. A model may be refused (CompileError: exit 2 in the
// tools); an IR that does not verify or a pass that fails is an internal
// error (exit 1), so it is a finding, as is any other exception.
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipeline/Pipeline.h"
#include "runtime/core/PlanFile.h"
#include "runtime/core/RuntimeError.h"
#include "test/fuzz/FuzzInput.h"

#include <cstdlib>
#include <iostream>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The loader picks ONNX's text parser by content (a leading '<'), so one
  // name serves both syntaxes.
  std::string path = sstep::fuzz::asFile(data, size, ".onnx");
  sstep::PipelineOptions options;
  options.toolName = "sstep-fuzz-onnx";
  try {
    sstep::CompiledModel compiled = sstep::compileModel(path, options);
    // What compiled must be a plan that reads back as it was written.
    std::string plan = path + ".sstep";
    sstep::writePlan(plan, compiled.program, sstep::PlanInfo{});
    sstep::Program back = sstep::readPlan(plan);
    if (back.nodes.size() != compiled.program.nodes.size() ||
        back.values.size() != compiled.program.values.size())
      __builtin_trap();
  } catch (const sstep::CompileError &) {
  } catch (const std::exception &e) {
    std::cerr << "internal error: " << e.what() << "\n";
    std::abort();
  }
  return 0;
}
