//===- Modules.h - sstep-run's parts opened on demand ------------*- C++
//-*-===//
//
// sstep-run itself links the runtime's tensor half only. The ONNX compiler
// (LLVM, MLIR: 40 MiB resident) and the slide side (libtiff, OpenSlide and
// HDF5, with some sixty libraries behind them: 14 MiB resident) are modules
// in lib/ beside bin/, opened only when a run needs them.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TOOLS_SSTEP_RUN_MODULES_H
#define SSTEP_TOOLS_SSTEP_RUN_MODULES_H

#include "tools/command/RunCommand.h"

#include <string>

namespace sstep {

/// Symbol `symbol` of module `file` in lib/ beside bin/, or null when the
/// module is not there (`why` says what dlopen said).
void *moduleSymbol(const std::string &file, const char *symbol,
                   std::string *why = nullptr);

/// Runs a slide through the slide module; a build without one says so.
int runSlideInModule(const SlideCall &call);

} // namespace sstep

#endif // SSTEP_TOOLS_SSTEP_RUN_MODULES_H
