//===- Cudnn.cpp - cuDNN, loaded when the cuda backend starts -------------===//

#include "runtime/cuda/Cudnn.h"
#include "runtime/core/RuntimeError.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <string>

namespace sstep::cuda {
namespace {

CudnnApi load() {
  const char *env = std::getenv("SSTEP_CUDNN");
  std::string path = env ? env : "libcudnn.so.9";
  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library)
    throw RuntimeError("the cuda backend cannot load cuDNN 9 (" + path +
                       "): " + dlerror() +
                       " (install cuDNN 9 or name it with SSTEP_CUDNN)");
  CudnnApi api;
#define SSTEP_CUDNN_LOAD(name)                                                 \
  api.name = reinterpret_cast<decltype(api.name)>(dlsym(library, #name));      \
  if (!api.name)                                                               \
    throw RuntimeError(path + " has no " #name ": not cuDNN 9");
  SSTEP_CUDNN_FUNCTIONS(SSTEP_CUDNN_LOAD)
#undef SSTEP_CUDNN_LOAD
  return api;
}

} // namespace

const CudnnApi &cudnn() {
  static std::once_flag once;
  static CudnnApi api;
  static std::string error;
  std::call_once(once, [] {
    try {
      api = load();
    } catch (const RuntimeError &e) {
      error = e.what();
    }
  });
  if (!error.empty())
    throw RuntimeError(error);
  return api;
}

} // namespace sstep::cuda
