//===- Cache.h - Packed weights of the CPU backend ---------------*- C++
//-*-===//
//
// Weights are packed once per node and layout, not per tile shape; the
// primitives themselves are in the device's PrimitiveCache.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CPU_CACHE_H
#define SSTEP_RUNTIME_CPU_CACHE_H

#include "runtime/cpu/CpuBackend.h"

#include <map>
#include <vector>

namespace sstep::cpu {

struct CpuBackend::Cache {
  /// Per node: its weights in each layout asked for.
  std::map<int, std::vector<std::pair<memory::desc, memory>>> weights;
  std::map<int, memory> bias;
};

} // namespace sstep::cpu

#endif // SSTEP_RUNTIME_CPU_CACHE_H
