//===- StreamThreadsTest.cpp - Reading ahead of and writing behind tiles --===//

#include <catch2/catch.hpp>

#include "runtime/core/RuntimeError.h"
#include "runtime/exec/ReadAhead.h"
#include "runtime/exec/WriteBehind.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace sstep;
using namespace std::chrono_literals;

namespace {

Region rowsAt(int64_t row) { return Region{{Interval{row, row + 1}, {0, 4}}}; }

/// A tensor that says which region it was read for.
Tensor tagged(const Region &r) {
  return Tensor({1, 1, 1, 1}, float(r.axes[0].lo));
}

/// Waits up to a second for `done`.
template <class F> bool eventually(F done) {
  for (int i = 0; i < 1000 && !done(); ++i)
    std::this_thread::sleep_for(1ms);
  return done();
}

} // namespace

TEST_CASE("ReadAhead serves expected regions from its thread, in order",
          "[streams]") {
  std::atomic<int> loads{0};
  std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> onCaller{0};
  exec::ReadAhead ahead(
      [&](const Region &r) {
        ++loads;
        onCaller += std::this_thread::get_id() == caller;
        return tagged(r);
      },
      2);
  std::vector<Region> plan;
  for (int64_t i = 0; i < 10; ++i)
    plan.push_back(rowsAt(i));
  ahead.expect(plan);
  // Two regions in hand at most, however long the tiles take.
  REQUIRE(eventually([&] { return loads == 2; }));
  std::this_thread::sleep_for(30ms);
  CHECK(loads == 2);
  for (int64_t i = 0; i < 10; ++i)
    CHECK(ahead.read(rowsAt(i)).data[0] == float(i));
  CHECK(ahead.prefetched() == 10);
  CHECK(ahead.synchronous() == 0);
  CHECK(onCaller == 0);
  // A region nobody expected is read on the caller's thread.
  CHECK(ahead.read(rowsAt(42)).data[0] == 42.0f);
  CHECK(ahead.synchronous() == 1);
  CHECK(onCaller == 1);
}

TEST_CASE("ReadAhead skips regions the reader skips and follows a new plan",
          "[streams]") {
  exec::ReadAhead ahead([](const Region &r) { return tagged(r); }, 3);
  ahead.expect({rowsAt(0), rowsAt(1), rowsAt(2), rowsAt(3), rowsAt(4)});
  CHECK(ahead.read(rowsAt(0)).data[0] == 0.0f);
  // Tiles 1 and 2 were skipped (no tissue).
  CHECK(ahead.read(rowsAt(3)).data[0] == 3.0f);
  ahead.expect({rowsAt(7), rowsAt(8)});
  CHECK(ahead.read(rowsAt(7)).data[0] == 7.0f);
  CHECK(ahead.read(rowsAt(8)).data[0] == 8.0f);
  CHECK(ahead.prefetched() == 4);
}

TEST_CASE("A failed read ahead is raised when its region is asked for",
          "[streams]") {
  exec::ReadAhead ahead(
      [](const Region &r) {
        if (r.axes[0].lo == 2)
          throw RuntimeError("x.npy: truncated .npy data");
        return tagged(r);
      },
      2);
  ahead.expect({rowsAt(0), rowsAt(1), rowsAt(2), rowsAt(3)});
  CHECK(ahead.read(rowsAt(0)).data[0] == 0.0f);
  CHECK(ahead.read(rowsAt(1)).data[0] == 1.0f);
  CHECK_THROWS_WITH(ahead.read(rowsAt(2)), "x.npy: truncated .npy data");
  CHECK(ahead.read(rowsAt(3)).data[0] == 3.0f);
}

TEST_CASE("WriteBehind runs writes in order, at most its bound queued",
          "[streams]") {
  std::mutex m;
  std::vector<int> written;
  std::atomic<bool> open{false};
  exec::WriteBehind behind(2);
  auto write = [&](int i) {
    return [&, i] {
      while (!open)
        std::this_thread::sleep_for(1ms);
      std::lock_guard<std::mutex> lock(m);
      written.push_back(i);
    };
  };
  // One write runs (waiting for the disk), two wait in the queue...
  for (int i = 0; i < 3; ++i)
    behind.push(write(i));
  // ... and the next push waits for room.
  std::atomic<bool> pushed{false};
  std::thread late([&] {
    behind.push(write(3));
    pushed = true;
  });
  std::this_thread::sleep_for(30ms);
  CHECK_FALSE(pushed);
  open = true;
  late.join();
  CHECK(pushed);
  behind.drain();
  CHECK(written == std::vector<int>{0, 1, 2, 3});
  CHECK(behind.busySeconds() > 0);
}

TEST_CASE("A failed write is raised on the next push or drain, and the "
          "writes after it do not run",
          "[streams]") {
  std::atomic<int> ran{0};
  std::atomic<bool> open{false};
  exec::WriteBehind behind(4);
  // The failing write waits until the second is queued: otherwise its error
  // can reach the second push first, which is the other half of the contract.
  behind.push([&] {
    while (!open)
      std::this_thread::sleep_for(1ms);
    throw RuntimeError("o.npy: cannot write o.npy.part");
  });
  behind.push([&] { ++ran; });
  open = true;
  CHECK_THROWS_WITH(behind.drain(), "o.npy: cannot write o.npy.part");
  CHECK_THROWS_WITH(behind.push([&] { ++ran; }),
                    "o.npy: cannot write o.npy.part");
  CHECK(ran == 0);
}

TEST_CASE("WriteBehind dropped before drain leaves its queue unwritten",
          "[streams]") {
  std::atomic<int> ran{0};
  std::atomic<bool> started{false}, open{false};
  std::thread release;
  {
    exec::WriteBehind behind(4);
    behind.push([&] {
      started = true;
      while (!open)
        std::this_thread::sleep_for(1ms);
    });
    behind.push([&] { ++ran; });
    REQUIRE(eventually([&] { return bool(started); }));
    release = std::thread([&] {
      std::this_thread::sleep_for(20ms);
      open = true;
    });
  } // the run failed: the second write is dropped
  release.join();
  CHECK(ran == 0);
}
