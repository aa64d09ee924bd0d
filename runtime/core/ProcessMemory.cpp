//===- ProcessMemory.cpp - The process's resident memory ------------------===//

#include "runtime/core/ProcessMemory.h"

#include <fstream>
#include <malloc.h>
#include <string>

namespace sstep {
namespace {

/// The "NAME: N kB" line of /proc/self/status, in bytes.
int64_t statusBytes(const std::string &name) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(name + ":", 0) == 0)
      return std::stoll(line.substr(name.size() + 1)) * 1024;
  return 0;
}

} // namespace

int64_t peakResidentBytes() { return statusBytes("VmHWM"); }
int64_t residentBytes() { return statusBytes("VmRSS"); }

void configureAllocatorForTiles() { mallopt(M_MMAP_THRESHOLD, 1 << 20); }

} // namespace sstep
