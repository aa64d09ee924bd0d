//===- ProcessMemory.h - The process's resident memory -----------*- C++
//-*-===//

#ifndef SSTEP_RUNTIME_CORE_PROCESSMEMORY_H
#define SSTEP_RUNTIME_CORE_PROCESSMEMORY_H

#include <cstdint>

namespace sstep {

/// Peak resident set size of this process in bytes (VmHWM of
/// /proc/self/status); 0 where the kernel does not say.
int64_t peakResidentBytes();

/// Current resident set size in bytes (VmRSS); 0 where unknown.
int64_t residentBytes();

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_PROCESSMEMORY_H
