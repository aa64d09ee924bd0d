//===- Fingerprint.h - What a run's results depend on, hashed ---*- C++ -*-===//
//
// A rerun of a killed command resumes from what the first run left (a slide
// run's journal, a checkpoint folder) only when it is the same command: the
// same model, input file, tiles and options. Each such record carries a
// fingerprint of those, and a record with another is discarded.
//
// Example: Fingerprint f; addProgram(f, program); addFile(f, "x.npy");
// f.add(tileEdge).hex() == "3f2a...c1" (16 hex digits).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_EXEC_FINGERPRINT_H
#define SSTEP_RUNTIME_EXEC_FINGERPRINT_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace sstep {
struct Program;
}

namespace sstep::exec {

/// A 64-bit FNV-1a hash, as 16 hex digits, of everything fed to it.
class Fingerprint {
public:
  Fingerprint &add(const void *data, size_t bytes);
  Fingerprint &add(const std::string &text);
  Fingerprint &add(int64_t value) { return add(&value, sizeof value); }
  std::string hex() const;

private:
  uint64_t hash_ = 0xcbf29ce484222325ull;
};

/// A fingerprint of everything in `program` that affects its results.
void addProgram(Fingerprint &fingerprint, const Program &program);
/// A fingerprint of the file at `path`: its name, size and modification
/// time (an input replaced by another of the same name differs).
void addFile(Fingerprint &fingerprint, const std::string &path);

} // namespace sstep::exec

#endif // SSTEP_RUNTIME_EXEC_FINGERPRINT_H
