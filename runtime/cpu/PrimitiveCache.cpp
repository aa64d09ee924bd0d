//===- PrimitiveCache.cpp - oneDNN primitives by shape, bounded -----------===//

#include "runtime/cpu/PrimitiveCache.h"

#include <algorithm>

namespace sstep::cpu {

const Primitive &PrimitiveCache::get(const std::string &key,
                                     const std::function<Primitive()> &make) {
  auto found = index.find(key);
  if (found != index.end()) {
    entries.splice(entries.begin(), entries, found->second);
  } else {
    Primitive made = make();
    // Make room from primitives this tile has not used: the next tile like
    // this one then finds all of its own.
    while (entries.size() >= bound && entries.back().tile != tile) {
      index.erase(entries.back().key);
      entries.pop_back();
      ++evictedCount;
    }
    auto slot = index.emplace(key, entries.end()).first;
    try {
      entries.push_front(Entry{key, std::move(made), 0});
    } catch (...) {
      index.erase(slot);
      throw;
    }
    slot->second = entries.begin();
    ++createdCount;
    peak = std::max(peak, int64_t(entries.size()));
  }
  Entry &entry = entries.front();
  if (entry.tile != tile) {
    entry.tile = tile;
    ++usedThisTile;
  }
  return entry.value;
}

const dnnl::primitive &PrimitiveCache::reorder(const dnnl::engine &engine,
                                               const memory::desc &from,
                                               const memory::desc &to) {
  return get(keyOf("reorder", descKey(from), descKey(to)),
             [&] {
               dnnl::reorder::primitive_desc pd(engine, from, engine, to);
               return Primitive{dnnl::reorder(pd), from, {}, to};
             })
      .primitive;
}

void PrimitiveCache::endTile() {
  bound = std::max(bound, usedThisTile);
  ++tile;
  usedThisTile = 0;
}

std::string descKey(const memory::desc &desc) {
  const dnnl_memory_desc_t &d = desc.data;
  std::ostringstream out;
  out << d.ndims << ':' << int(d.data_type) << ':' << int(d.format_kind) << ':'
      << d.offset0 << ':';
  for (int i = 0; i < d.ndims; ++i)
    out << d.dims[i] << '/' << d.padded_dims[i] << '/' << d.padded_offsets[i]
        << ',';
  if (d.format_kind == dnnl_blocked) {
    const dnnl_blocking_desc_t &b = d.format_desc.blocking;
    for (int i = 0; i < d.ndims; ++i)
      out << b.strides[i] << ',';
    for (int i = 0; i < b.inner_nblks; ++i)
      out << b.inner_idxs[i] << 'x' << b.inner_blks[i] << ',';
  }
  return out.str();
}

} // namespace sstep::cpu
