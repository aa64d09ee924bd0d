//===- PrimitiveCache.h - oneDNN primitives by shape, bounded ----*- C++
//-*-===//
//
// A primitive depends on its block's shape and border padding, so a strip
// of tiles needs one set per column kind (left edge, interior, right edge)
// and per row kind (first, chained, last): a few hundred primitives of JIT
// code on a large image, about 100 KiB each. Tiles run a column at a time,
// so only the current column's set is needed. The cache holds as many
// primitives as the busiest tile so far used; a new one beyond that
// replaces the least recently used of those the current tile has not used.
// A tile that needs more widens the bound. The cache's memory then depends
// on the tile, not on the image, and a run of like tiles finds all of its
// primitives after the first.
//
// Example: ResNet-18 on 2048 x 32 strips of an image 4 strips wide runs
// left, interior and right columns; without a bound it held 278 compute
// and 474 reorder primitives, and the bound keeps 140.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CPU_PRIMITIVECACHE_H
#define SSTEP_RUNTIME_CPU_PRIMITIVECACHE_H

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <functional>
#include <list>
#include <sstream>
#include <string>
#include <unordered_map>

namespace sstep::cpu {

using dnnl::memory;

/// A primitive and the layouts it was created for.
struct Primitive {
  dnnl::primitive primitive;
  memory::desc src, weights, dst;
};

class PrimitiveCache {
public:
  /// The primitive under `key`, made by `make` when it is not cached.
  const Primitive &get(const std::string &key,
                       const std::function<Primitive()> &make);
  /// A reorder from `from`'s layout (offset included) to `to`'s.
  const dnnl::primitive &reorder(const dnnl::engine &engine,
                                 const memory::desc &from,
                                 const memory::desc &to);
  /// Ends a tile: widens the bound to the primitives this tile used when
  /// that is more.
  void endTile();

  int64_t created() const { return createdCount; }
  int64_t evicted() const { return evictedCount; }
  int64_t peakSize() const { return peak; }
  size_t size() const { return entries.size(); }

  /// The fewest primitives kept, whatever the tiles use.
  static constexpr size_t kMinimumBound = 64;

private:
  struct Entry {
    std::string key;
    Primitive value;
    uint64_t tile;
  };
  /// Most recently used first.
  std::list<Entry> entries;
  std::unordered_map<std::string, std::list<Entry>::iterator> index;
  size_t bound = kMinimumBound;
  uint64_t tile = 1;
  size_t usedThisTile = 0;
  int64_t createdCount = 0, evictedCount = 0, peak = 0;
};

inline std::ostream &operator<<(std::ostream &out, const memory::dims &dims) {
  for (auto d : dims)
    out << d << ',';
  return out;
}

/// A cache key from anything streamable. Floats are written exactly: a
/// post-op's alpha is compiled into the primitive's code.
template <typename... Parts> std::string keyOf(const Parts &...parts) {
  std::ostringstream out;
  out << std::hexfloat;
  ((out << parts << '|'), ...);
  return out.str();
}

/// A key naming everything about `desc` a primitive depends on: dims, data
/// type, layout and the offset of a sub-memory view.
std::string descKey(const memory::desc &desc);

} // namespace sstep::cpu

#endif // SSTEP_RUNTIME_CPU_PRIMITIVECACHE_H
