//===- FuzzManifest.cpp - Cohort manifests: a clean error or slides -------===//

#include "runtime/cohort/Manifest.h"
#include "runtime/core/RuntimeError.h"
#include "test/fuzz/FuzzInput.h"

#include <set>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = sstep::fuzz::asFile(data, size, ".csv");
  try {
    sstep::cohort::Manifest m = sstep::cohort::readManifest(path);
    // What readManifest promises: slides, unique plain ids.
    std::set<std::string> ids;
    for (const auto &e : m.slides)
      if (e.slide.empty() || !sstep::cohort::isPlainFileName(e.id) ||
          !ids.insert(e.id).second)
        __builtin_trap();
    if (m.slides.empty())
      __builtin_trap();
  } catch (const sstep::RuntimeError &) {
  }
  return 0;
}
