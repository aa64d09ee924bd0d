//===- Backends.cpp - The backends sstep-run can run on -------------------===//

#include "tools/sstep-run/Backends.h"
#include "runtime/reference/Kernels.h"
#include "runtime/reference/ReferenceBackend.h"

namespace sstep {

std::string backendNames() { return "reference"; }

std::unique_ptr<exec::Backend> makeBackend(const std::string &name,
                                           int threads) {
  if (threads > 0)
    reference::setThreadCount(threads);
  if (name == "reference")
    return std::make_unique<reference::ReferenceBackend>();
  return nullptr;
}

} // namespace sstep
