//===- FuzzPlanIndex.cpp - Plan files past their checksums ----------------===//
//
// A plan's header checksums its index and data (docs/plan-format.md), so
// mutated bytes mostly stop at "checksum mismatch" (FuzzPlan covers that).
// This harness mends the sizes and the three CRC-32s of each input before
// the reader sees it, so the sections behind them (VALS, NODE, KERN, GRAD,
// CNST) meet arbitrary bytes.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/ByteIO.h"
#include "runtime/core/PlanFile.h"
#include "runtime/core/RuntimeError.h"
#include "test/fuzz/FuzzInput.h"

#include <cstring>
#include <vector>

namespace {

uint64_t get64(const uint8_t *p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

void put32(uint8_t *p, uint32_t v) { std::memcpy(p, &v, 4); }
void put64(uint8_t *p, uint64_t v) { std::memcpy(p, &v, 8); }

/// The input with index and data sizes that fit it (multiples of 64) and
/// the checksums of what is there.
std::vector<uint8_t> mended(const uint8_t *data, size_t size) {
  std::vector<uint8_t> file(data, data + size);
  if (size < 64)
    return file;
  uint64_t room = (size - 64) / 64 * 64;
  uint64_t index = get64(&file[16]) / 64 * 64;
  if (index > room)
    index = room;
  uint64_t bytes = get64(&file[24]) / 64 * 64;
  if (bytes > room - index)
    bytes = room - index;
  file.resize(64 + index + bytes);
  put64(&file[16], index);
  put64(&file[24], bytes);
  using sstep::crc32Update;
  put32(&file[32], crc32Update(0, file.data() + 64, index));
  put32(&file[36], crc32Update(0, file.data() + 64 + index, bytes));
  put32(&file[40], crc32Update(0, file.data(), 40));
  return file;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> file = mended(data, size);
  std::string path = sstep::fuzz::asFile(file.data(), file.size(), ".sstep");
  try {
    sstep::PlanInfo info;
    sstep::readPlan(path, &info);
  } catch (const sstep::RuntimeError &) {
  }
  return 0;
}
