//===- SlideModule.h - The slide module's entry point ------------*- C++
//-*-===//
//
// The module (SlideModule.cpp) catches every exception and returns it as a
// kind and a message, so that no exception crosses the dlopen boundary;
// sstep-run throws it again on its side (Modules.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TOOLS_SSTEP_RUN_SLIDEMODULE_H
#define SSTEP_TOOLS_SSTEP_RUN_SLIDEMODULE_H

#include "tools/command/RunCommand.h"

#include <string>

namespace sstep {

struct SlideResult {
  enum Error { None, Usage, Input, Internal } error = None;
  /// The exit status when error is None.
  int status = 0;
  std::string message;
};

using RunSlideFn = void (*)(const SlideCall &, SlideResult *);

} // namespace sstep

#endif // SSTEP_TOOLS_SSTEP_RUN_SLIDEMODULE_H
