//===- CudaAlgorithmCacheTest.cpp - cuDNN's choices kept across runs ------===//

#include <catch2/catch.hpp>

#include "runtime/cuda/AlgorithmCache.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using namespace sstep::cuda;
namespace fs = std::filesystem;

namespace {

fs::path freshFolder(const std::string &name) {
  fs::path dir = fs::path(SSTEP_TEST_WORK_DIR) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

const ConvGeometry k3x3{1, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1};
const ConvGeometry k1x1{1, 256, 64, 1, 1, 0, 0, 1, 1, 1, 1, 1};

} // namespace

TEST_CASE("Algorithm choices survive the process that timed them",
          "[cuda-algorithms]") {
  fs::path file = freshFolder("algorithms") / "sub" / "cache.txt";
  {
    AlgorithmCache first(file.string());
    CHECK(first.size() == 0);
    CHECK(first.problem().empty());
    first.remember(k3x3, {1, 2});
    first.remember(k1x1, {6, 1});
    first.remember(k3x3, {7, 1}); // timed again: the newer choice
    CHECK(first.problem().empty());
  }
  AlgorithmCache next(file.string());
  CHECK(next.size() == 2);
  CHECK(next.find(k3x3) == AlgorithmChoice{7, 1});
  CHECK(next.find(k1x1) == AlgorithmChoice{6, 1});
  ConvGeometry other = k3x3;
  other[1] = 32;
  CHECK_FALSE(next.find(other).has_value());
}

TEST_CASE("A cache file that is not ours, or damaged, is ignored and "
          "rewritten",
          "[cuda-algorithms]") {
  fs::path dir = freshFolder("algorithms-bad");
  for (const char *text :
       {"not a cache\n1 2 3\n",
        "sstep-cudnn-algorithms 1\n1 64 64 3 3 1 1 1 1 1 1 1 7\n",
        "sstep-cudnn-algorithms 1\n1 64 64 3 3 1 1 1 1 1 1 1 7 1 9\n",
        "sstep-cudnn-algorithms 1\n1 64 64 3 3 1 1 1 1 1 1 1 -7 1\n",
        "sstep-cudnn-algorithms 2\n1 64 64 3 3 1 1 1 1 1 1 1 7 1\n"}) {
    INFO(text);
    fs::path file = dir / "cache.txt";
    std::ofstream(file) << text;
    AlgorithmCache cache(file.string());
    CHECK(cache.size() == 0);
    CHECK(cache.problem().find(file.string()) != std::string::npos);
    cache.remember(k1x1, {6, 1});
    CHECK(AlgorithmCache(file.string()).find(k1x1) == AlgorithmChoice{6, 1});
  }
}

TEST_CASE("An unwritable cache keeps its choices in memory and says why",
          "[cuda-algorithms]") {
  fs::path dir = freshFolder("algorithms-blocked");
  // A file where the cache's folder should be.
  std::ofstream(dir / "folder") << "x";
  AlgorithmCache cache((dir / "folder" / "cache.txt").string());
  cache.remember(k3x3, {1, 0});
  CHECK(cache.find(k3x3) == AlgorithmChoice{1, 0});
  CHECK_FALSE(cache.problem().empty());
  AlgorithmCache memoryOnly("");
  memoryOnly.remember(k3x3, {1, 0});
  CHECK(memoryOnly.find(k3x3) == AlgorithmChoice{1, 0});
  CHECK(memoryOnly.problem().empty());
}

TEST_CASE("Each GPU, cuDNN version and precision has its own cache file",
          "[cuda-algorithms]") {
  // The environment this test changes is put back as it was.
  struct Saved {
    std::string name;
    const char *was;
    std::string value;
    explicit Saved(const char *name)
        : name(name), was(std::getenv(name)), value(was ? was : "") {}
    ~Saved() {
      if (was)
        ::setenv(name.c_str(), value.c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  } cacheDir("SSTEP_CACHE_DIR"), xdg("XDG_CACHE_HOME");
  ::setenv("SSTEP_CACHE_DIR", "/var/cache/x", 1);
  CHECK(algorithmCachePath("NVIDIA H100 80GB HBM3 sm90", 91400, "fp16") ==
        "/var/cache/x/cudnn-NVIDIA_H100_80GB_HBM3_sm90-91400-fp16.txt");
  CHECK(algorithmCachePath("NVIDIA H100 80GB HBM3 sm90", 91400, "fp32") !=
        algorithmCachePath("NVIDIA H100 80GB HBM3 sm90", 91401, "fp32"));
  ::unsetenv("SSTEP_CACHE_DIR");
  ::setenv("XDG_CACHE_HOME", "/home/u/.xdg", 1);
  CHECK(algorithmCachePath("A/B", 1, "bf16") ==
        "/home/u/.xdg/sstep/cudnn-A_B-1-bf16.txt");
}
