//===- PrimitiveCacheTest.cpp - the CPU backend's bounded primitive cache -===//

#include <catch2/catch.hpp>

#include "runtime/cpu/PrimitiveCache.h"

#include <cmath>
#include <string>

using namespace sstep::cpu;

namespace {

/// Asks `cache` for keys `prefix`0 .. `prefix`(n-1), counting creations.
void use(PrimitiveCache &cache, const std::string &prefix, int from, int to,
         int &made) {
  for (int i = from; i < to; ++i)
    cache.get(prefix + std::to_string(i), [&] {
      ++made;
      return Primitive{};
    });
}

} // namespace

TEST_CASE("the primitive cache holds what the busiest tile used",
          "[cpu][cache]") {
  PrimitiveCache cache;
  int made = 0;
  // A first tile larger than the minimum bound keeps all of its own.
  use(cache, "a", 0, 100, made);
  CHECK(made == 100);
  CHECK(cache.size() == 100);
  cache.endTile();
  use(cache, "a", 0, 100, made);
  CHECK(made == 100);
  cache.endTile();

  SECTION("a tile of other shapes replaces the old ones as it goes") {
    use(cache, "b", 0, 100, made);
    CHECK(made == 200);
    CHECK(cache.size() == 100);
    CHECK(cache.evicted() == 100);
    cache.endTile();
    use(cache, "b", 0, 100, made);
    CHECK(made == 200);
  }
  SECTION("a new shape evicts the least recently used of the others") {
    use(cache, "a", 0, 50, made);
    use(cache, "c", 0, 10, made);
    CHECK(made == 110);
    CHECK(cache.size() == 100);
    // a0..a49 (this tile's) and a60..a99 stay; a50..a59 went.
    use(cache, "a", 0, 50, made);
    use(cache, "a", 60, 100, made);
    CHECK(made == 110);
    use(cache, "a", 50, 51, made);
    CHECK(made == 111);
  }
  SECTION("a tile needing more than the bound widens it") {
    use(cache, "d", 0, 150, made);
    CHECK(cache.size() == 150);
    cache.endTile();
    use(cache, "d", 0, 150, made);
    CHECK(made == 250);
    CHECK(cache.peakSize() == 150);
  }
}

TEST_CASE("small tiles keep the minimum bound", "[cpu][cache]") {
  PrimitiveCache cache;
  int made = 0;
  for (int tile = 0; tile < 3; ++tile) {
    use(cache, "t" + std::to_string(tile) + "-", 0, 30, made);
    cache.endTile();
  }
  CHECK(cache.size() == PrimitiveCache::kMinimumBound);
  CHECK(cache.created() == 90);
}

TEST_CASE("keys hold floats exactly", "[cpu][cache]") {
  // Two convolutions of one shape share a primitive unless their post-ops'
  // constants differ, in any bit.
  CHECK(keyOf(1.0f, 6.0f) == keyOf(1.0f, 6.0f));
  CHECK(keyOf(1.0f) != keyOf(1.0000001f));
  CHECK(keyOf(6.0f) != keyOf(std::nextafter(6.0f, 7.0f)));
}

TEST_CASE("reorder keys tell layouts and views apart", "[cpu][cache]") {
  using tag = memory::format_tag;
  memory::dims dims{1, 8, 10, 12};
  memory::desc plain(dims, memory::data_type::f32, tag::nchw);
  memory::desc blocked(dims, memory::data_type::f32, tag::nChw8c);
  CHECK(descKey(plain) ==
        descKey(memory::desc(dims, memory::data_type::f32, tag::nchw)));
  CHECK(descKey(plain) != descKey(blocked));
  memory::desc left = blocked.submemory_desc({1, 8, 4, 4}, {0, 0, 0, 0});
  memory::desc right = blocked.submemory_desc({1, 8, 4, 4}, {0, 0, 0, 8});
  memory::desc alone({1, 8, 4, 4}, memory::data_type::f32, tag::nChw8c);
  CHECK(descKey(left) != descKey(right));
  CHECK(descKey(left) != descKey(alone));

  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  PrimitiveCache cache;
  cache.reorder(engine, plain, blocked);
  cache.reorder(engine, plain, blocked);
  cache.reorder(engine, left, alone);
  cache.reorder(engine, right, alone);
  CHECK(cache.created() == 3);
}
