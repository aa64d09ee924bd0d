//===- sstep-import.cpp - ONNX to the sstep dialect -----------------------===//
//
// sstep-import model.onnx [-o out.mlir] [--static-shapes]
//
// Exit codes: 0 success, 2 bad input (unreadable or unsupported model, named
// in the message), 1 internal error (imported IR that does not verify).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"
#include "frontends/onnx/OpConverters.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace llvm;

static cl::opt<std::string> inputPath(cl::Positional,
                                      cl::desc("<model.onnx|model.onnxtxt>"));
static cl::opt<std::string> outputPath("o", cl::desc("Output file"),
                                       cl::value_desc("file"), cl::init("-"));
static cl::opt<bool> staticShapes(
    "static-shapes",
    cl::desc("Keep the spatial sizes declared by the model's inputs instead of "
             "making height and width dynamic"));
static cl::opt<bool>
    listOps("list-ops",
            cl::desc("Print the ONNX op types the importer supports"));
static cl::opt<bool> elideWeights(
    "elide-weights",
    cl::desc("Print large constants as dense_resource placeholders"));

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "SSTEP ONNX importer\n");

  if (listOps) {
    std::vector<std::string> names;
    for (const auto &entry : sstep::onnx_import::converters())
      names.push_back(entry.getKey().str());
    for (const char *op : sstep::onnx_import::kGraphLevelOps)
      names.push_back(op);
    std::sort(names.begin(), names.end());
    for (const std::string &name : names)
      outs() << name << "\n";
    return 0;
  }
  if (inputPath.empty()) {
    errs() << "sstep-import: error: no model given (see --help)\n";
    return 2;
  }

  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  try {
    onnx::ModelProto model = sstep::onnx_import::loadModel(inputPath);
    sstep::onnx_import::ImportOptions options;
    options.staticShapes = staticShapes;
    options.sourceName = inputPath;
    module = sstep::onnx_import::importModel(context, model, options);
  } catch (const sstep::onnx_import::ImportError &e) {
    errs() << "sstep-import: error: " << e.what() << "\n";
    return 2;
  }
  if (mlir::failed(mlir::verify(*module))) {
    errs() << "sstep-import: internal error: the imported IR does not "
              "verify\n";
    return 1;
  }

  std::string error;
  auto output = mlir::openOutputFile(outputPath, &error);
  if (!output) {
    errs() << "sstep-import: error: " << error << "\n";
    return 2;
  }
  mlir::OpPrintingFlags flags;
  if (elideWeights)
    flags.elideLargeElementsAttrs(16);
  module->print(output->os(), flags);
  output->keep();
  return 0;
}
