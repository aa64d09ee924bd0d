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
namespace {

std::vector<BackendInfo> registry() {
  std::vector<BackendInfo> all;
  all.push_back({"reference", "plain loops in fp64, the oracle", false,
                 &plan::plainModel,
                 [](int threads, int64_t) -> std::unique_ptr<exec::Backend> {
                   if (threads > 0)
                     reference::setThreadCount(threads);
                   return std::make_unique<reference::ReferenceBackend>();
                 }});
#ifdef SSTEP_HAVE_DNNL
  all.push_back({"cpu", "oneDNN primitives in channel-blocked layouts", true,
                 []() -> const plan::TileModel & {
                   static const cpu::CpuTileModel model;
                   return model;
                 },
                 [](int threads, int64_t) -> std::unique_ptr<exec::Backend> {
                   if (threads > 0)
                     reference::setThreadCount(threads);
                   return std::make_unique<cpu::CpuBackend>(threads);
                 }});
#endif
#ifdef SSTEP_HAVE_CUDA
  all.push_back({"cuda", "cuDNN and generated CUDA kernels", false,
                 &plan::plainModel, [](int threads, int64_t deviceMemory) {
                   if (threads > 0)
                     reference::setThreadCount(threads);
                   return cuda::makeCudaBackend(threads,
                                                uint64_t(deviceMemory));
                 }});
#endif
  return all;
}

} // namespace

const std::vector<BackendInfo> &backends() {
  static const std::vector<BackendInfo> all = registry();
  return all;
}

const BackendInfo *findBackend(const std::string &name) {
  for (const BackendInfo &info : backends())
    if (info.name == name)
      return &info;
  return nullptr;
}

std::string backendNames() {
  std::string names;
  for (const BackendInfo &info : backends())
    names += (names.empty() ? "" : ", ") + info.name;
  return names;
}

bool hasBackend(const std::string &name) { return findBackend(name); }

const BackendInfo &backendInfo(const std::string &name) {
  if (const BackendInfo *info = findBackend(name))
    return *info;
  throw RuntimeError("unknown backend '" + name +
                     "' (this build has: " + backendNames() + ")");
}

std::unique_ptr<exec::Backend>
requireBackend(const std::string &name, int threads, int64_t deviceMemory) {
  return backendInfo(name).make(threads, deviceMemory);
}

} // namespace sstep
