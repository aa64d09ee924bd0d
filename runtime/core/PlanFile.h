//===- PlanFile.h - Compiled plans on disk -----------------------*- C++
//-*-===//
//
// A plan (`model.sstep`, written by sstep-compile) is a Program saved whole:
// values, nodes with all their attributes, window rules and partition roles,
// and the weights as raw little-endian float32, each aligned to 64 bytes.
// Loading one needs no MLIR and no ONNX, and gives the same Program the
// in-memory compilation of the model gives. The layout, the versioning policy
// and the checksums are described in docs/plan-format.md.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CORE_PLANFILE_H
#define SSTEP_RUNTIME_CORE_PLANFILE_H

#include "runtime/core/Program.h"

#include <cstdint>
#include <string>

namespace sstep {

/// The first eight bytes of every plan.
inline constexpr char kPlanMagic[8] = {'S', 'S', 'T', 'E', 'P', 'P', 'L', 'N'};
/// The only format version this build reads and writes.
inline constexpr uint32_t kPlanFormatVersion = 1;

/// The byte layout shared by the writer and the reader (docs/plan-format.md).
namespace plan_layout {
inline constexpr uint64_t kHeaderBytes = 64;
/// The index is padded to, and every constant starts at, a multiple of this,
/// so the weights could be mapped straight into memory.
inline constexpr uint64_t kAlign = 64;
/// The header's own CRC-32 sits here and covers the bytes before it.
inline constexpr size_t kHeaderCrcOffset = 40;
} // namespace plan_layout

/// What a plan says about itself: who made it, from what, for what.
struct PlanInfo {
  /// "sstep-compile 0.1.0".
  std::string producer;
  /// The model file the plan was compiled from, as given.
  std::string source;
  /// SHA-256 of the model file's bytes, lower-case hex.
  std::string sourceSha256;
  /// The backend the plan was compiled for: "cpu" or "reference".
  std::string target;
  /// --memory-budget in bytes; 0 when not given.
  int64_t memoryBudget = 0;
  /// --tile as given ("auto" or an edge in pixels); empty when not given.
  std::string tile;
  /// When the plan was written, UTC, ISO 8601.
  std::string created;
};

/// Writes `program` to `path` through `path.part`, renamed when complete, so
/// a reader never sees half a plan. Throws RuntimeError naming the path.
void writePlan(const std::string &path, const Program &program,
               const PlanInfo &info);

/// Reads the plan at `path`, verifying both checksums; fills `info` when
/// given. Throws RuntimeError naming the path for a missing, foreign,
/// other-version, truncated or corrupt file.
Program readPlan(const std::string &path, PlanInfo *info = nullptr);

/// Reads a plan of `size` bytes that starts `offset` bytes into the file at
/// `path` (a plan embedded in an executable), checked as readPlan checks a
/// plan file.
Program readPlanAt(const std::string &path, uint64_t offset, uint64_t size,
                   PlanInfo *info = nullptr);

/// Whether `path` starts with the plan magic (false when it cannot be read).
bool isPlanFile(const std::string &path);

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_PLANFILE_H
