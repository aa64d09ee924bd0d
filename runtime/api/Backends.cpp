//===- Backends.cpp - The backends a Model can run on ---------------------===//

#include "runtime/api/Backends.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Kernels.h"
#include "runtime/reference/ReferenceBackend.h"
#ifdef SSTEP_HAVE_DNNL
#include "runtime/cpu/CpuBackend.h"
#endif
#ifdef SSTEP_HAVE_CUDA
#include "runtime/cuda/CudaBackend.h"
#endif

namespace sstep {

std::string backendNames() {
  std::string names = "reference";
#ifdef SSTEP_HAVE_DNNL
  names += ", cpu";
#endif
#ifdef SSTEP_HAVE_CUDA
  names += ", cuda";
#endif
  return names;
}

bool hasBackend(const std::string &name) {
  if (name == "reference")
    return true;
#ifdef SSTEP_HAVE_DNNL
  if (name == "cpu")
    return true;
#endif
#ifdef SSTEP_HAVE_CUDA
  if (name == "cuda")
    return true;
#endif
  return false;
}

bool backendKeepsRows(const std::string &name) {
  return name == "cpu" && hasBackend(name);
}

std::unique_ptr<exec::Backend> makeBackend(const std::string &name, int threads,
                                           int64_t deviceMemory) {
  if (threads > 0)
    reference::setThreadCount(threads);
  if (name == "reference")
    return std::make_unique<reference::ReferenceBackend>();
#ifdef SSTEP_HAVE_DNNL
  if (name == "cpu")
    return std::make_unique<cpu::CpuBackend>(threads);
#endif
#ifdef SSTEP_HAVE_CUDA
  if (name == "cuda")
    return cuda::makeCudaBackend(threads, uint64_t(deviceMemory));
#endif
  return nullptr;
}

std::unique_ptr<exec::Backend>
requireBackend(const std::string &name, int threads, int64_t deviceMemory) {
  std::unique_ptr<exec::Backend> backend =
      makeBackend(name, threads, deviceMemory);
  if (!backend)
    throw RuntimeError("unknown backend '" + name +
                       "' (this build has: " + backendNames() + ")");
  return backend;
}

} // namespace sstep
