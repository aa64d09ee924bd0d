//===- EmbeddedPlan.h - Plans carried inside executables ---------*- C++
//-*-===//
//
// `sstep-compile --emit=exe` appends a plan to a copy of the runner
// executable, followed by a trailer that says where the plan starts:
//
//   [ runner ELF | zero padding to 64 | plan (PlanFile.h) | trailer ]
//   trailer (32 bytes): "SSTEPEXE", u64 plan offset, u64 plan size,
//                       u32 trailer version, u32 CRC-32 of the 28 before
//
// The loader ignores bytes past the ELF's segments, so the binary runs as
// is, and at start it reads its own trailer through /proc/self/exe. `strip`
// drops the appended bytes; the runner then says it carries no plan.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CORE_EMBEDDEDPLAN_H
#define SSTEP_RUNTIME_CORE_EMBEDDEDPLAN_H

#include <cstdint>
#include <optional>
#include <string>

namespace sstep {

/// Where in a file an embedded plan lies.
struct EmbeddedPlanSpan {
  uint64_t offset = 0, size = 0;
};

/// Writes `runnerPath`'s bytes, then the plan at `planPath` and the trailer,
/// to `outPath` (through `outPath.part`, made executable, renamed when
/// complete). Throws RuntimeError naming the file that failed.
void writeExecutableWithPlan(const std::string &runnerPath,
                             const std::string &planPath,
                             const std::string &outPath);

/// The plan embedded in the file at `path`; nullopt when it has no trailer.
/// Throws RuntimeError for a trailer that is corrupt or points outside the
/// file.
std::optional<EmbeddedPlanSpan> findEmbeddedPlan(const std::string &path);

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_EMBEDDEDPLAN_H
