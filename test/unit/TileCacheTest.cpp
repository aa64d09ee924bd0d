//===- TileCacheTest.cpp - The LRU bound and order ------------------------===//

#include <catch2/catch.hpp>

#include "runtime/slide/TileCache.h"

using namespace sstep::slide;

namespace {
TileBuffer tileOf(std::size_t bytes, uint8_t value) {
  return std::make_shared<const std::vector<uint8_t>>(bytes, value);
}
} // namespace

TEST_CASE("tile cache evicts least recently used within its bytes",
          "[slide][cache]") {
  TileCache cache(300);
  cache.insert({0, 0, 0}, tileOf(100, 1));
  cache.insert({0, 1, 0}, tileOf(100, 2));
  cache.insert({0, 2, 0}, tileOf(100, 3));
  REQUIRE(cache.find({0, 0, 0})); // now most recent: (1, 0) is the oldest
  cache.insert({1, 0, 0}, tileOf(100, 4));
  CHECK_FALSE(cache.find({0, 1, 0}));
  CHECK(cache.find({0, 0, 0})->at(0) == 1);
  CHECK(cache.find({0, 2, 0})->at(0) == 3);
  CHECK(cache.find({1, 0, 0})->at(0) == 4);
  CacheStats s = cache.stats();
  CHECK(s.bytes == 300);
  CHECK(s.evictions == 1);
  CHECK(s.hits == 4);
  CHECK(s.misses == 1);
  cache.insert({2, 0, 0}, tileOf(1000, 5)); // larger than the bound
  CHECK_FALSE(cache.find({2, 0, 0}));
  CHECK(cache.stats().bytes == 300);
}
