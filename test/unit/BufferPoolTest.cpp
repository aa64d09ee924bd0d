//===- BufferPoolTest.cpp - Large buffers reused in place -----------------===//

#include "runtime/core/BufferPool.h"
#include "runtime/core/Tensor.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include <sys/mman.h>

using namespace sstep;

namespace {
constexpr size_t MiB = size_t(1) << 20;
char *bytes(void *p) { return static_cast<char *>(p); }
/// What a buffer of n bytes takes of the pool: whole pages, with the
/// header naming its pool.
size_t footprint(size_t n) { return (n + 64 + 4095) / 4096 * 4096; }
} // namespace

TEST_CASE("a freed buffer serves the next request in place", "[pool]") {
  BufferPool pool;
  void *a = pool.acquire(64 * MiB);
  std::memset(a, 1, 64 * MiB);
  pool.release(a);
  void *b = pool.acquire(48 * MiB);
  CHECK(b == a);
  CHECK(pool.inUse() == footprint(48 * MiB));
  CHECK(pool.peak() == footprint(64 * MiB));
  pool.release(b);
}

namespace {
/// Pages of [p, p + n) resident in memory (mincore).
size_t residentPages(void *p, size_t n) {
  std::vector<unsigned char> in((n + 4095) / 4096);
  auto *page =
      reinterpret_cast<char *>(reinterpret_cast<uintptr_t>(p) / 4096 * 4096);
  REQUIRE(::mincore(page, n, in.data()) == 0);
  size_t count = 0;
  for (unsigned char c : in)
    count += c & 1;
  return count;
}
} // namespace

TEST_CASE("free pages go back to the system, buffers in use stay", "[pool]") {
  BufferPool pool;
  void *kept = pool.acquire(8 * MiB);
  void *freed = pool.acquire(32 * MiB);
  std::memset(kept, 7, 8 * MiB);
  std::memset(freed, 1, 32 * MiB);
  pool.release(freed);
  CHECK(residentPages(freed, 32 * MiB) == 32 * MiB / 4096);
  CHECK(pool.returnFreePages() >= 32 * MiB);
  CHECK(residentPages(freed, 32 * MiB) == 0);
  CHECK(residentPages(kept, 8 * MiB) >= 8 * MiB / 4096);
  CHECK(bytes(kept)[8 * MiB - 1] == 7);
  CHECK(pool.inUse() == footprint(8 * MiB));
  // The range serves the next request again, zeroed.
  void *again = pool.acquire(32 * MiB);
  CHECK(again == freed);
  CHECK(bytes(again)[0] == 0);
  CHECK(bytes(again)[32 * MiB - 1] == 0);
  pool.release(again);
  pool.release(kept);
}

TEST_CASE("freed neighbours coalesce", "[pool]") {
  BufferPool pool;
  void *a = pool.acquire(64 * MiB);
  void *b = pool.acquire(32 * MiB);
  CHECK(bytes(b) == bytes(a) + footprint(64 * MiB));
  pool.release(a);
  pool.release(b);
  // One 96 MiB range now, at a's address.
  void *c = pool.acquire(96 * MiB);
  CHECK(c == a);
  pool.release(c);
}

TEST_CASE("the lowest resident free range that holds a request serves it",
          "[pool]") {
  BufferPool pool;
  void *big = pool.acquire(64 * MiB);
  void *fence1 = pool.acquire(1 * MiB);
  void *small = pool.acquire(8 * MiB);
  void *fence2 = pool.acquire(1 * MiB);
  pool.release(big);
  pool.release(small);
  // Not the best fit (small): the lowest, so that blocks pack from the
  // bottom and free space gathers above them.
  void *first = pool.acquire(6 * MiB);
  CHECK(first == big);
  void *second = pool.acquire(8 * MiB);
  CHECK(second > first);
  CHECK(second < fence1);
  // The lowest still: the rest of big, though small fits 7 MiB better.
  void *third = pool.acquire(7 * MiB);
  CHECK(third > second);
  CHECK(third < fence1);
  (void)small;
  (void)fence2;
}

TEST_CASE("a request goes where it touches the fewest new pages", "[pool]") {
  BufferPool pool;
  void *exact = pool.acquire(48 * MiB - 64);
  void *fence1 = pool.acquire(1 * MiB);
  void *larger = pool.acquire(64 * MiB);
  void *fence2 = pool.acquire(1 * MiB);
  size_t touched = pool.residentBytes();
  CHECK(touched == footprint(48 * MiB - 64) + footprint(64 * MiB) +
                       2 * footprint(1 * MiB));
  // The exact fit's pages go back to the system; the larger range stays
  // resident and serves, though it fits worse.
  pool.release(exact);
  pool.returnFreePages();
  CHECK(pool.residentBytes() == touched - footprint(48 * MiB - 64));
  pool.release(larger);
  void *again = pool.acquire(48 * MiB - 64);
  CHECK(again == larger);
  CHECK(pool.residentBytes() == touched - footprint(48 * MiB - 64));
  CHECK(pool.residentPeak() == touched);
  pool.release(again);
  pool.release(fence1);
  pool.release(fence2);
}

TEST_CASE("lasting buffers keep to the top, a tile's blocks to the bottom",
          "[pool]") {
  BufferPool pool;
  void *block = pool.acquire(16 * MiB);
  void *lasting = pool.acquire(8 * MiB, BufferPool::Lifetime::Lasting);
  void *next = pool.acquire(16 * MiB);
  // Not between the tile's blocks: at the chunk's far end.
  CHECK(bytes(next) == bytes(block) + footprint(16 * MiB));
  CHECK(bytes(lasting) >= bytes(next) + 512 * MiB);
  // The tile ends; the next finds its blocks' ranges whole and in place.
  pool.release(block);
  pool.release(next);
  CHECK(pool.acquire(32 * MiB) == block);
  // A scope makes a thread's tensors lasting, and ends with it.
  Tensor inside;
  {
    BufferPool::LifetimeScope later(BufferPool::Lifetime::Lasting);
    CHECK(BufferPool::threadLifetime() == BufferPool::Lifetime::Lasting);
    inside = Tensor({1, 1, 1024, 1024});
  }
  CHECK(BufferPool::threadLifetime() == BufferPool::Lifetime::Tile);
  Tensor outside({1, 1, 1024, 1024});
  CHECK(inside.data.data() > outside.data.data());
}

TEST_CASE("a free range serves from its back when that is resident", "[pool]") {
  BufferPool pool;
  void *front = pool.acquire(16 * MiB - 64);
  void *back = pool.acquire(16 * MiB - 64);
  void *fence = pool.acquire(1 * MiB);
  size_t touched = pool.residentBytes();
  // The front's pages go back (splitting the touched pages in two), then
  // the back is freed beside it: one 32 MiB range, resident at its back.
  pool.release(front);
  pool.returnFreePages();
  CHECK(pool.residentBytes() == touched - footprint(16 * MiB - 64));
  pool.release(back);
  CHECK(pool.acquire(16 * MiB - 64) == back);
  CHECK(pool.residentBytes() == touched - footprint(16 * MiB - 64));
  (void)fence;
}

TEST_CASE("lasting buffers' free pages go back, the tiles' stay", "[pool]") {
  BufferPool pool;
  void *block = pool.acquire(16 * MiB);
  void *kept = pool.acquire(8 * MiB, BufferPool::Lifetime::Lasting);
  void *band = pool.acquire(4 * MiB, BufferPool::Lifetime::Lasting);
  std::memset(block, 1, 16 * MiB);
  std::memset(kept, 2, 8 * MiB);
  std::memset(band, 3, 4 * MiB);
  pool.release(block);
  pool.release(kept);
  size_t before = pool.residentBytes();
  CHECK(pool.returnLastingPages() >= 8 * MiB);
  CHECK(residentPages(kept, 8 * MiB) == 0);
  CHECK(pool.residentBytes() == before - footprint(8 * MiB));
  // The tile's freed block stays resident for the next run; the band in
  // use keeps its bytes.
  CHECK(residentPages(block, 16 * MiB) == 16 * MiB / 4096);
  CHECK(bytes(band)[4 * MiB - 1] == 3);
  CHECK(pool.returnLastingPages() == 0);
  pool.release(band);
}

TEST_CASE("buffers are aligned, small ones come from the heap", "[pool]") {
  BufferPool pool;
  for (size_t n :
       {size_t(1), size_t(100), kPooledBytes - 1, kPooledBytes, 5 * MiB + 3}) {
    void *p = pool.acquire(n);
    CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
    std::memset(p, 7, n);
    pool.release(p);
  }
  CHECK(pool.inUse() == 0);
  CHECK(pool.peak() == footprint(5 * MiB + 3));
}

TEST_CASE("concurrent requests never share bytes", "[pool]") {
  BufferPool pool;
  auto worker = [&](unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::pair<unsigned char *, size_t>> live;
    for (int i = 0; i < 300; ++i) {
      size_t n = kPooledBytes + rng() % (4 * MiB);
      auto *p = static_cast<unsigned char *>(pool.acquire(n));
      std::memset(p, int(seed), n);
      live.push_back({p, n});
      if (live.size() > 4) {
        size_t k = rng() % live.size();
        auto [q, m] = live[k];
        // Nobody else wrote into this buffer.
        CHECK((q[0] == seed && q[m / 2] == seed && q[m - 1] == seed));
        pool.release(q);
        live.erase(live.begin() + k);
      }
    }
    for (auto [q, m] : live)
      pool.release(q);
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t <= 4; ++t)
    threads.emplace_back(worker, t);
  for (auto &t : threads)
    t.join();
  CHECK(pool.inUse() == 0);
}

TEST_CASE("tensors' large data comes from the process's pool", "[pool]") {
  BufferPool &pool = BufferPool::process();
  size_t before = pool.inUse();
  {
    Tensor t({1, 4, 512, 512});
    CHECK(pool.inUse() == before + footprint(4 * 512 * 512 * sizeof(float)));
    CHECK(t.data[12345] == 0.0f);
    Tensor small({1, 1, 8, 8});
    CHECK(pool.inUse() == before + footprint(4 * 512 * 512 * sizeof(float)));
  }
  CHECK(pool.inUse() == before);
}

TEST_CASE("a buffer goes back to the pool that made it", "[pool]") {
  // As when the compiler's shared object, with its own copy of the pool,
  // makes a plan's constants and the runtime's frees them.
  BufferPool maker, other;
  void *large = maker.acquire(8 * MiB);
  void *small = maker.acquire(100);
  other.release(large);
  other.release(small);
  CHECK(maker.inUse() == 0);
  CHECK(other.inUse() == 0);
  CHECK(other.peak() == 0);
  CHECK(maker.acquire(8 * MiB) == large); // reused in place, by its maker
}
