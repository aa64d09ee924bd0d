//===- Modules.cpp - sstep-run's parts opened on demand -------------------===//

#include "tools/sstep-run/Modules.h"
#include "runtime/core/RuntimeError.h"
#include "tools/sstep-run/SlideModule.h"

#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

namespace sstep {

void *moduleSymbol(const std::string &file, const char *symbol,
                   std::string *why) {
  char exe[PATH_MAX] = {};
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    if (why)
      *why = "cannot find this executable (/proc/self/exe)";
    return nullptr;
  }
  std::string dir(exe, size_t(n));
  dir = dir.substr(0, dir.rfind('/'));
  std::string path = dir.substr(0, dir.rfind('/')) + "/lib/" + file;
  void *module = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  void *found = module ? ::dlsym(module, symbol) : nullptr;
  if (!found && why) {
    const char *error = ::dlerror();
    *why = error ? error : path + ": no symbol " + symbol;
  }
  return found;
}

int runSlideInModule(const SlideCall &call) {
  std::string why;
  auto run = reinterpret_cast<RunSlideFn>(
      moduleSymbol(SSTEP_SLIDE_MODULE, "sstepRunSlide", &why));
  if (!run)
    throw tool::UsageError(
        "this sstep-run cannot read slides: its slide module lib/" +
        std::string(SSTEP_SLIDE_MODULE) +
        " does not load (a build without libtiff, OpenSlide and HDF5 has "
        "none): " +
        why);
  SlideResult result;
  run(call, &result);
  switch (result.error) {
  case SlideResult::None:
    return result.status;
  case SlideResult::Usage:
    throw tool::UsageError(result.message);
  case SlideResult::Input:
    throw RuntimeError(result.message);
  case SlideResult::Internal:
    break;
  }
  throw std::runtime_error(result.message);
}

} // namespace sstep
