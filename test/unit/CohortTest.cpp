//===- CohortTest.cpp - Manifests, leases, records and the cohort loop ----===//

#include "runtime/cohort/CohortRun.h"
#include "runtime/cohort/Lease.h"
#include "runtime/core/RuntimeError.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace sstep;
using namespace sstep::cohort;
namespace fs = std::filesystem;

namespace {

std::string workDir(const std::string &name) {
  std::string dir = std::string(SSTEP_TEST_WORK_DIR) + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string writeText(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string manifestError(const std::string &text) {
  std::string path = writeText(workDir("bad") + "/m.csv", text);
  try {
    readManifest(path);
  } catch (const RuntimeError &e) {
    return e.what();
  }
  return "no error";
}

/// Sets `path`'s modification time `seconds` into the past.
void age(const std::string &path, double seconds) {
  struct timespec times[2];
  clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= time_t(seconds);
  times[1] = times[0];
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

} // namespace

TEST_CASE("a manifest names slides by column, quoted as RFC 4180", "[cohort]") {
  std::string dir = workDir("manifest");
  std::string path =
      writeText(dir + "/m.csv", "label,level,slide,id\n"
                                "tumour,1,a.svs,case-1\n"
                                "normal,,\"sub/b, rescanned.tif\",\n"
                                "\n"
                                "x,,/abs/c.ndpi,\"case \"\"3\"\"\"\n");
  Manifest m = readManifest(path);
  REQUIRE(m.slides.size() == 3);
  CHECK(m.slides[0].slide == dir + "/a.svs");
  CHECK(m.slides[0].id == "case-1");
  CHECK(m.slides[0].level == 1);
  CHECK(m.slides[0].row == 2);
  CHECK(m.slides[1].slide == dir + "/sub/b, rescanned.tif");
  CHECK(m.slides[1].id == "b, rescanned");
  CHECK(m.slides[1].level == -1);
  CHECK(m.slides[2].slide == "/abs/c.ndpi");
  CHECK(m.slides[2].id == "case \"3\"");
}

TEST_CASE("a manifest saved by Excel (a byte-order mark) reads", "[cohort]") {
  std::string path = writeText(workDir("bom") + "/m.csv",
                               "\xEF\xBB\xBFslide,id\r\na.svs,x\r\n");
  Manifest m = readManifest(path);
  REQUIRE(m.slides.size() == 1);
  CHECK(m.slides[0].id == "x");
}

TEST_CASE("a bad manifest is refused naming the row", "[cohort]") {
  CHECK_THAT(manifestError("path,id\na.svs,x\n"),
             Catch::Contains("row 1: the header has no 'slide' column"));
  CHECK_THAT(manifestError(""),
             Catch::Contains("the cohort manifest is empty"));
  CHECK_THAT(manifestError("slide\n"), Catch::Contains("lists no slides"));
  CHECK_THAT(manifestError("slide,id\na.svs,x\n,y\n"),
             Catch::Contains("row 3: no slide path"));
  CHECK_THAT(manifestError("slide,id\na.svs,x\nb.svs,y\nc.svs,x\n"),
             Catch::Contains("row 4: id 'x' is also row 2's"));
  CHECK_THAT(manifestError("slide\ndir1/a.svs\ndir2/a.svs\n"),
             Catch::Contains("row 3: id 'a' is also row 2's"));
  CHECK_THAT(manifestError("slide,level\na.svs,one\n"),
             Catch::Contains("row 2: level 'one' is not a level number"));
  CHECK_THAT(manifestError("slide,id\na.svs,../x\n"),
             Catch::Contains("row 2: id '../x' cannot name a file"));
  CHECK_THAT(manifestError("slide,output\na.svs,out/a.tif\n"),
             Catch::Contains("row 2: output 'out/a.tif' is not a file name"));
  CHECK_THAT(manifestError("slide,id\na.svs,x,extra\n"),
             Catch::Contains("row 2: 3 fields, but the header has 2"));
  CHECK_THAT(manifestError("slide,id\n\"a.svs,x\n"),
             Catch::Contains("not CSV"));
  CHECK_THAT(manifestError("slide,id\na\"b.svs,x\n"),
             Catch::Contains("not CSV"));
  CHECK_THAT(manifestError("slide,output\na.svs,o.tif\nb.svs,o.tif\n"),
             Catch::Contains("row 3: output 'o.tif' is also row 2's"));
}

TEST_CASE("a lease is held by one live owner and reclaimed from a dead one",
          "[cohort]") {
  std::string dir = workDir("lease");
  std::string path = dir + "/slide";
  SECTION("held, then released") {
    auto first = Lease::claim(path, 600);
    REQUIRE(first);
    CHECK_FALSE(Lease::claim(path, 600));
    CHECK(first->heartbeat());
    first.reset();
    CHECK_FALSE(fs::exists(path));
    CHECK(Lease::claim(path, 600));
  }
  SECTION("a dead process on this host holds nothing") {
    pid_t child = ::fork();
    if (child == 0) {
      // The child claims and dies without releasing.
      auto lease = Lease::claim(path, 600);
      ::_exit(lease ? 0 : 1);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WEXITSTATUS(status) == 0);
    // _exit skipped the destructor: the lease is still there.
    REQUIRE(fs::exists(path));
    CHECK_THAT(readLeaseFile(path),
               Catch::Contains("pid=" + std::to_string(child)));
    CHECK(Lease::claim(path, 600));
  }
  SECTION("another host's lease is stale only without a heartbeat") {
    writeText(path, "host=elsewhere-node pid=1 start=5 claimed=x\n");
    CHECK_FALSE(Lease::claim(path, 60));
    age(path, 120);
    auto lease = Lease::claim(path, 60);
    REQUIRE(lease);
    CHECK_THAT(readLeaseFile(path), Catch::Contains(LeaseOwner::self().host));
  }
  SECTION("a lease taken over is no longer ours") {
    auto lease = Lease::claim(path, 600);
    REQUIRE(lease);
    writeText(path, "host=elsewhere-node pid=1 start=5\n");
    CHECK_FALSE(lease->lost());
    CHECK_FALSE(lease->heartbeat());
    CHECK(lease->lost());
    lease.reset();
    CHECK(fs::exists(path)); // not ours to remove
  }
  SECTION("garbage is stale once it has aged a minute") {
    writeText(path, "half a line");
    CHECK_FALSE(Lease::claim(path, 600));
    age(path, 30);
    CHECK_FALSE(Lease::claim(path, 600));
    age(path, 90);
    CHECK(Lease::claim(path, 600));
  }
  SECTION("one reclaimer at a time replaces a stale lease") {
    writeText(path, "host=elsewhere-node pid=1 start=5\n");
    age(path, 120);
    // Another live process is reclaiming it: hands off.
    writeText(path + ".reclaim", LeaseOwner::self().str() + "\n");
    CHECK_FALSE(Lease::claim(path, 60));
    CHECK_THAT(readLeaseFile(path), Catch::Contains("elsewhere-node"));
    // Its reclaimer died holding the lock: the lock is broken.
    writeText(path + ".reclaim",
              "host=" + LeaseOwner::self().host + " pid=999999999 start=1\n");
    auto lease = Lease::claim(path, 60);
    REQUIRE(lease);
    CHECK_FALSE(fs::exists(path + ".reclaim"));
  }
}

TEST_CASE("records survive a round trip and a corrupt one reads as none",
          "[cohort]") {
  CohortState state(workDir("state") + "/out/");
  CHECK(fs::is_directory(state.folder() + "/slides"));
  SlideRecord r;
  r.id = "case-1";
  r.slide = "/data/a.svs";
  r.status = SlideRecord::Status::Failed;
  r.error = "a.svs: tile 3 is corrupt \xff";
  r.attempts = 2;
  r.fingerprint = "0123456789abcdef";
  r.outputs = {"/out/case-1.tif"};
  r.seconds = 1.5;
  state.write(r);
  std::optional<SlideRecord> back = state.read("case-1");
  REQUIRE(back);
  CHECK(back->status == SlideRecord::Status::Failed);
  CHECK(back->attempts == 2);
  CHECK(back->fingerprint == r.fingerprint);
  CHECK(back->outputs == r.outputs);
  CHECK_THAT(back->error, Catch::StartsWith("a.svs: tile 3 is corrupt"));
  for (const auto &entry : fs::directory_iterator(state.folder() + "/slides"))
    CHECK(entry.path().extension() == ".json"); // no temporary left
  writeText(state.recordPath("case-1"), "{\"id\": \"case-1\", \"sta");
  CHECK_FALSE(state.read("case-1"));
  CHECK_FALSE(state.read("never-run"));
}

TEST_CASE("slides are handed out largest first, ties in manifest order",
          "[cohort]") {
  CHECK(largestFirst({1, 5, 0, 5, 3}) == std::vector<int64_t>{1, 3, 4, 0, 2});
}

namespace {

/// A cohort of `n` slides (empty files: the fake runner never reads them).
struct FakeCohort {
  std::string dir;
  Manifest manifest;
  std::unique_ptr<CohortState> state;
  CohortJob job;

  FakeCohort(const std::string &name, int n) : dir(workDir(name)) {
    std::string csv = "slide,id\n";
    for (int i = 0; i < n; ++i) {
      writeText(dir + "/s" + std::to_string(i) + ".tif", "");
      csv += "s" + std::to_string(i) + ".tif,id" + std::to_string(i) + "\n";
    }
    manifest = readManifest(writeText(dir + "/m.csv", csv));
    state = std::make_unique<CohortState>(dir + "/out");
    job.manifest = &manifest;
    job.state = state.get();
    for (int i = 0; i < n; ++i) {
      job.outputs.push_back(
          {state->outDir() + "/id" + std::to_string(i) + ".tif"});
      job.megapixels.push_back(double(i));
    }
    job.commandFingerprint = "model-v1";
    job.progress = false;
  }
};

/// Writes the output; throws for ids in `failing`.
SlideRunner fakeRunner(std::set<std::string> failing,
                       std::vector<std::string> *ran, std::mutex *m) {
  return [=](const ManifestEntry &e, const std::vector<std::string> &out,
             const std::function<void()> &) {
    {
      std::lock_guard<std::mutex> lock(*m);
      ran->push_back(e.id);
    }
    if (failing.count(e.id))
      throw RuntimeError(e.slide + ": corrupt tile 7");
    writeText(out[0], "output of " + e.id);
    return SlideRunResult{1.0, 0};
  };
}

} // namespace

TEST_CASE("a cohort records failures, goes on, and a rerun skips what is "
          "done",
          "[cohort]") {
  FakeCohort c("loop", 6);
  std::vector<std::string> ran;
  std::mutex m;
  ListSource first(largestFirst(c.job.megapixels));
  CohortSummary s =
      runCohort(c.job, first, fakeRunner({"id2", "id4"}, &ran, &m));
  CHECK(ran ==
        std::vector<std::string>{"id5", "id4", "id3", "id2", "id1", "id0"});
  CHECK(s.done == 4);
  CHECK(s.failed == 2);
  CHECK_FALSE(s.complete());
  CHECK(c.state->read("id4")->error == c.dir + "/s4.tif: corrupt tile 7");
  CHECK(fs::exists(c.state->summaryPath()));

  // Again, with id4 mended: only the failed ones run.
  ran.clear();
  ListSource second(largestFirst(c.job.megapixels));
  s = runCohort(c.job, second, fakeRunner({"id2"}, &ran, &m));
  CHECK(ran == std::vector<std::string>{"id4", "id2"});
  CHECK(s.done == 5);
  CHECK(c.state->read("id2")->attempts == 2);
  CHECK(c.state->read("id5")->attempts == 1);

  // id2 has failed --max-attempts times: left alone.
  ran.clear();
  c.job.maxAttempts = 2;
  ListSource third(largestFirst(c.job.megapixels));
  s = runCohort(c.job, third, fakeRunner({}, &ran, &m));
  CHECK(ran.empty());
  CHECK(s.failed == 1);

  // A lost output, or another model, runs the slides again.
  fs::remove(c.job.outputs[0][0]);
  c.job.commandFingerprint = "model-v2";
  ran.clear();
  ListSource fourth(largestFirst(c.job.megapixels));
  s = runCohort(c.job, fourth, fakeRunner({}, &ran, &m));
  CHECK(ran.size() == 6);
  CHECK(s.complete());
  CHECK(c.state->read("id2")->attempts == 1);
}

TEST_CASE("workers sharing a state folder run each slide once", "[cohort]") {
  FakeCohort c("shared", 24);
  std::vector<std::string> ran;
  std::mutex m;
  // Each worker walks the whole cohort; leases keep them apart.
  SlideRunner slow = [&](const ManifestEntry &e,
                         const std::vector<std::string> &out,
                         const std::function<void()> &checkpoint) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return fakeRunner({}, &ran, &m)(e, out, checkpoint);
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w)
    workers.emplace_back([&] {
      ListSource source(largestFirst(c.job.megapixels));
      runCohort(c.job, source, slow);
    });
  for (std::thread &t : workers)
    t.join();
  std::set<std::string> unique(ran.begin(), ran.end());
  CHECK(ran.size() == 24);
  CHECK(unique.size() == 24);
  for (int i = 0; i < 24; ++i)
    CHECK(c.state->read("id" + std::to_string(i))->status ==
          SlideRecord::Status::Done);
}

TEST_CASE("a worker whose lease is taken over stops and leaves the record",
          "[cohort]") {
  FakeCohort c("takeover", 3);
  c.job.heartbeatSeconds = 0.01;
  std::vector<std::string> ran;
  std::mutex m;
  SlideRunner run = [&](const ManifestEntry &e,
                        const std::vector<std::string> &out,
                        const std::function<void()> &checkpoint) {
    if (e.id == "id1") {
      // Another host judged our lease stale and took the slide.
      writeText(c.state->leasePath("id1"),
                "host=elsewhere-node pid=7 start=9\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      checkpoint();
      FAIL("the checkpoint did not stop the run");
    }
    return fakeRunner({}, &ran, &m)(e, out, checkpoint);
  };
  ListSource source(largestFirst(c.job.megapixels));
  CohortSummary s = runCohort(c.job, source, run);
  CHECK(ran == std::vector<std::string>{"id2", "id0"});
  CHECK(c.state->read("id1")->status == SlideRecord::Status::Running);
  CHECK(s.done == 2);
  CHECK(s.running == 1); // the other host's
  CHECK(fs::exists(c.state->leasePath("id1")));
}
