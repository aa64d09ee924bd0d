//===- Cache.h - Primitives and packed weights of the CPU backend -*- C++
//-*-===//
//
// A primitive depends on its block's shape and border padding, which differ
// only between interior, edge and corner tiles, so a grid needs a handful of
// primitives per node however many tiles it has. Weights are packed once per
// node and layout, not per shape.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CPU_CACHE_H
#define SSTEP_RUNTIME_CPU_CACHE_H

#include "runtime/cpu/CpuBackend.h"

#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace sstep::cpu {

struct Primitive {
  dnnl::primitive primitive;
  memory::desc src, weights, dst;
};

struct CpuBackend::Cache {
  std::map<std::string, Primitive> primitives;
  /// Per node: its weights in each layout asked for.
  std::map<int, std::vector<std::pair<memory::desc, memory>>> weights;
  std::map<int, memory> bias;
};

inline std::ostream &operator<<(std::ostream &out, const memory::dims &dims) {
  for (auto d : dims)
    out << d << ',';
  return out;
}

/// A cache key from anything streamable.
template <typename... Parts> std::string keyOf(const Parts &...parts) {
  std::ostringstream out;
  ((out << parts << '|'), ...);
  return out.str();
}

} // namespace sstep::cpu

#endif // SSTEP_RUNTIME_CPU_CACHE_H
