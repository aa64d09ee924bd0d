//===- FuzzInput.h - A fuzzer's bytes as a file a reader can open ---------===//
//
// SSTEP's readers take paths (as users give them), so each input is written
// to a file of this process's own, with the extension a reader may look at.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TEST_FUZZ_FUZZINPUT_H
#define SSTEP_TEST_FUZZ_FUZZINPUT_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace sstep::fuzz {

/// Writes `data` to /tmp/sstep-fuzz-PID`extension` and returns the path.
inline std::string asFile(const uint8_t *data, size_t size,
                          const char *extension) {
  std::string path =
      "/tmp/sstep-fuzz-" + std::to_string(::getpid()) + extension;
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0)
    std::abort(); // the harness's own failure, not the input's
  return path;
}

} // namespace sstep::fuzz

#endif // SSTEP_TEST_FUZZ_FUZZINPUT_H
