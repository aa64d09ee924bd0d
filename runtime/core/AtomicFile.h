//===- AtomicFile.h - Records that are whole or absent, and their times -*- C++
//-*-===//
//
// State a killed process must not leave half-written (cohort records, a
// server's job records) is written to a temporary beside the file, synced,
// renamed over it and the folder synced: a reader sees the old text or the
// new, never a mix, even after a power cut.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CORE_ATOMICFILE_H
#define SSTEP_RUNTIME_CORE_ATOMICFILE_H

#include <string>

namespace sstep {

/// Writes `text` to `path` atomically (temporary, fsync, rename). Throws
/// RuntimeError naming the file.
void writeFileAtomically(const std::string &path, const std::string &text);

/// UTC now in ISO 8601, and as Unix seconds.
std::string utcTimestamp();
double unixSeconds();

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_ATOMICFILE_H
