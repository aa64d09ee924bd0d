//===- GradKernels.cpp - The backends' gradient kernels -------------------===//

#include "runtime/train/GradKernels.h"
#include "runtime/core/RuntimeError.h"

#ifdef SSTEP_HAVE_DNNL
#include "runtime/cpu/ConvGrad.h"
#endif

namespace sstep::train {

std::unique_ptr<GradKernels> gradKernels(const std::string &name, int threads) {
  if (name == "reference") {
    reference::setThreadCount(threads);
    return std::make_unique<GradKernels>();
  }
#ifdef SSTEP_HAVE_DNNL
  if (name == "cpu")
    return std::make_unique<cpu::ConvGrad>(threads);
#endif
  throw RuntimeError("the backward pass has no kernels for the '" + name +
                     "' backend (it has reference" +
#ifdef SSTEP_HAVE_DNNL
                     std::string(" and cpu") +
#else
                     std::string() +
#endif
                     ")");
}

} // namespace sstep::train
