//===- CudaArenaTest.cpp - The device arena's bookkeeping -----------------===//

#include <catch2/catch.hpp>

#include "runtime/cuda/Arena.h"

#include <random>
#include <stdexcept>

using sstep::cuda::Arena;

TEST_CASE("The arena hands out aligned ranges first-fit", "[cuda-arena]") {
  Arena arena(1024, 256);
  CHECK(arena.allocate(100) == 0u);
  CHECK(arena.allocate(300) == 256u);
  CHECK(arena.inUse() == 768);
  CHECK(arena.highWater() == 768);
  arena.release(0);
  CHECK(arena.allocate(200) == 0u);
  CHECK(arena.largestFree() == 256);
  CHECK_FALSE(arena.allocate(257).has_value());
  CHECK(arena.allocate(256) == 768u);
  CHECK_FALSE(arena.allocate(1).has_value());
  CHECK_THROWS_AS(arena.release(5), std::logic_error);
}

TEST_CASE("Released neighbours merge back into one range", "[cuda-arena]") {
  Arena arena(4096, 256);
  uint64_t a = *arena.allocate(1024), b = *arena.allocate(1024),
           c = *arena.allocate(1024);
  arena.release(a);
  arena.release(c);
  CHECK(arena.largestFree() == 2048); // c merged with the tail
  arena.release(b);
  CHECK(arena.largestFree() == 4096);
  CHECK(arena.inUse() == 0);
  CHECK(arena.allocate(4096) == 0u);
}

TEST_CASE("Random use never overlaps and frees everything", "[cuda-arena]") {
  Arena arena(1 << 20, 256);
  std::mt19937 rng(7);
  std::vector<std::pair<uint64_t, uint64_t>> live; // offset, bytes
  for (int step = 0; step < 5000; ++step) {
    if (!live.empty() && rng() % 2) {
      size_t i = rng() % live.size();
      arena.release(live[i].first);
      live.erase(live.begin() + long(i));
      continue;
    }
    uint64_t bytes = 1 + rng() % 40000;
    auto offset = arena.allocate(bytes);
    if (!offset)
      continue;
    CHECK(*offset % 256 == 0);
    CHECK(*offset + bytes <= arena.capacity());
    for (const auto &[o, n] : live)
      REQUIRE((*offset + bytes <= o || o + n <= *offset));
    live.push_back({*offset, bytes});
  }
  for (const auto &[o, n] : live)
    arena.release(o);
  CHECK(arena.inUse() == 0);
  CHECK(arena.largestFree() == arena.capacity());
}
