//===- FuzzEmbeddedPlan.cpp - A plan appended to an executable ------------===//
//
// What an inference binary reads of itself at start: the 32-byte trailer at
// the end of the file, then the plan it points to. Each input is read as
// given, then with the trailer's CRC-32 mended, so that mutated offsets and
// sizes get past the checksum. Any bytes give a clean error, no plan, or a
// program.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/ByteIO.h"
#include "runtime/core/EmbeddedPlan.h"
#include "runtime/core/PlanFile.h"
#include "runtime/core/RuntimeError.h"
#include "test/fuzz/FuzzInput.h"

#include <cstring>
#include <vector>

namespace {

constexpr size_t kTrailerBytes = 32;

void readEmbedded(const uint8_t *data, size_t size) {
  std::string path = sstep::fuzz::asFile(data, size, ".exe");
  try {
    std::optional<sstep::EmbeddedPlanSpan> span = sstep::findEmbeddedPlan(path);
    if (!span)
      return;
    if (size < kTrailerBytes) // a trailer in fewer bytes than it takes
      __builtin_trap();
    // The span the trailer gives must lie inside the file, before it.
    if (span->offset > size - kTrailerBytes ||
        span->size > size - kTrailerBytes - span->offset)
      __builtin_trap();
    sstep::PlanInfo info;
    sstep::Program program =
        sstep::readPlanAt(path, span->offset, span->size, &info);
    (void)program.nodes.size();
  } catch (const sstep::RuntimeError &) {
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  readEmbedded(data, size);
  if (size < kTrailerBytes)
    return 0;
  std::vector<uint8_t> mended(data, data + size);
  uint8_t *trailer = mended.data() + size - kTrailerBytes;
  uint32_t crc = sstep::crc32Update(0, trailer, kTrailerBytes - 4);
  std::memcpy(trailer + kTrailerBytes - 4, &crc, 4);
  readEmbedded(mended.data(), mended.size());
  return 0;
}
