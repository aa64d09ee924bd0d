//===- SlideCost.cpp - How much work each slide of a cohort is ------------===//

#include "runtime/cohort/SlideCost.h"
#include "runtime/cohort/Lease.h"
#include "runtime/slide/SlideReader.h"
#include "runtime/slide/TissueMask.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sys/stat.h>
#include <thread>

namespace sstep::cohort {
namespace {

using nlohmann::json;

/// What a cached cost is valid for.
std::string fileKey(const std::string &path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return path + "|" + std::to_string(st.st_size) + "|" +
         std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

std::string costKey(const ManifestEntry &e, int level, bool tissueMask) {
  return fileKey(e.slide) + "|" + std::to_string(level) + "|" +
         (!e.mask.empty() ? "mask " + fileKey(e.mask)
          : tissueMask    ? "tissue"
                          : "all");
}

double measure(const std::string &slide, int level, bool tissueMask,
               const std::string &maskFile) {
  slide::ReaderOptions options;
  options.threads = 1;
  options.cacheBytes = size_t(16) << 20;
  try {
    auto reader = slide::SlideReader::open(slide, options);
    if (level < 0 || level >= reader->levelCount())
      return 0;
    const slide::LevelInfo &info = reader->level(level);
    double megapixels = double(info.width) * double(info.height) / 1e6;
    if (tissueMask || !maskFile.empty())
      megapixels *=
          slide::TissueMask::forSlide(*reader, maskFile).tissueFraction();
    return megapixels;
  } catch (const std::exception &) {
    return 0;
  }
}

json readCache(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    return json::object();
  try {
    json j = json::parse(in);
    return j.is_object() ? j : json::object();
  } catch (const std::exception &) {
    return json::object(); // a cache is only a cache
  }
}

} // namespace

std::vector<double> slideCosts(const Manifest &manifest,
                               const CohortState &state, int level,
                               bool tissueMask) {
  std::string path = state.folder() + "/costs.json";
  std::vector<std::string> keys;
  for (const ManifestEntry &e : manifest.slides)
    keys.push_back(costKey(e, e.level >= 0 ? e.level : level, tissueMask));
  auto known = [&](const json &cache, size_t i) {
    auto it = cache.find(manifest.slides[i].id);
    return it != cache.end() && it->is_object() &&
           it->value("key", "") == keys[i];
  };
  for (;;) {
    json cache = readCache(path);
    size_t missing = 0;
    for (size_t i = 0; i < keys.size(); ++i)
      missing += !known(cache, i);
    if (missing == 0) {
      std::vector<double> costs;
      for (const ManifestEntry &e : manifest.slides)
        costs.push_back(cache[e.id].value("megapixels", 0.0));
      return costs;
    }
    // One process measures (a job array's tasks start together); the
    // others wait for its costs.json rather than open every slide too.
    std::unique_ptr<Lease> lock =
        Lease::claim(state.folder() + "/costs.lock", 120);
    if (!lock) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    cache = readCache(path);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (known(cache, i))
        continue;
      const ManifestEntry &e = manifest.slides[i];
      double cost =
          measure(e.slide, e.level >= 0 ? e.level : level, tissueMask, e.mask);
      cache[e.id] = {{"key", keys[i]}, {"megapixels", cost}};
      lock->heartbeat();
    }
    writeFileAtomically(
        path, cache.dump(1, ' ', false, json::error_handler_t::replace) + "\n");
  }
}

} // namespace sstep::cohort
