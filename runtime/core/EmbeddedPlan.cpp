//===- EmbeddedPlan.cpp - Plans carried inside executables ----------------===//

#include "runtime/core/EmbeddedPlan.h"
#include "runtime/core/ByteIO.h"
#include "runtime/core/RuntimeError.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

namespace sstep {
namespace {

constexpr char kTrailerMagic[8] = {'S', 'S', 'T', 'E', 'P', 'E', 'X', 'E'};
constexpr uint32_t kTrailerVersion = 1;
constexpr uint64_t kTrailerBytes = 32;
constexpr uint64_t kPlanAlign = 64;

std::string trailerBytes(uint64_t offset, uint64_t size) {
  ByteWriter w;
  w.putBytes(std::string(kTrailerMagic, sizeof(kTrailerMagic)));
  w.put(offset);
  w.put(size);
  w.put(kTrailerVersion);
  w.put(crc32Update(0, w.bytes().data(), w.bytes().size()));
  return w.bytes();
}

/// Copies all of `in` to `out`; returns the bytes copied.
uint64_t copyAll(std::ifstream &in, std::ofstream &out) {
  std::vector<char> buffer(1 << 20);
  uint64_t total = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    out.write(buffer.data(), in.gcount());
    total += static_cast<uint64_t>(in.gcount());
  }
  return total;
}

} // namespace

void writeExecutableWithPlan(const std::string &runnerPath,
                             const std::string &planPath,
                             const std::string &outPath) {
  std::ifstream runner(runnerPath, std::ios::binary);
  if (!runner)
    throw RuntimeError(runnerPath +
                       ": cannot open the runner: " + std::strerror(errno));
  if (findEmbeddedPlan(runnerPath))
    throw RuntimeError(runnerPath + ": the runner already carries a plan");
  std::ifstream plan(planPath, std::ios::binary);
  if (!plan)
    throw RuntimeError(planPath + ": cannot open: " + std::strerror(errno));

  std::string part = outPath + ".part";
  std::ofstream out(part, std::ios::binary | std::ios::trunc);
  if (!out)
    throw RuntimeError(outPath + ": cannot write: " + std::strerror(errno));
  uint64_t offset = copyAll(runner, out);
  static const char zeros[kPlanAlign] = {};
  uint64_t padding = (kPlanAlign - offset % kPlanAlign) % kPlanAlign;
  out.write(zeros, static_cast<std::streamsize>(padding));
  offset += padding;
  uint64_t size = copyAll(plan, out);
  std::string trailer = trailerBytes(offset, size);
  out.write(trailer.data(), static_cast<std::streamsize>(trailer.size()));
  out.close();
  std::error_code ec;
  if (out)
    std::filesystem::permissions(part,
                                 std::filesystem::perms::owner_all |
                                     std::filesystem::perms::group_read |
                                     std::filesystem::perms::group_exec |
                                     std::filesystem::perms::others_read |
                                     std::filesystem::perms::others_exec,
                                 ec);
  if (!out || ec || std::rename(part.c_str(), outPath.c_str()) != 0) {
    std::string reason = ec ? ec.message() : std::strerror(errno);
    std::remove(part.c_str());
    throw RuntimeError(outPath + ": cannot write: " + reason);
  }
}

std::optional<EmbeddedPlanSpan> findEmbeddedPlan(const std::string &path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    throw RuntimeError(path + ": cannot open: " + std::strerror(errno));
  uint64_t fileSize = static_cast<uint64_t>(in.tellg());
  if (fileSize < kTrailerBytes)
    return std::nullopt;
  char bytes[kTrailerBytes];
  in.seekg(static_cast<std::streamoff>(fileSize - kTrailerBytes));
  if (!in.read(bytes, kTrailerBytes) ||
      std::memcmp(bytes, kTrailerMagic, sizeof(kTrailerMagic)) != 0)
    return std::nullopt;
  ByteReader r(bytes, kTrailerBytes, path, fileSize - kTrailerBytes);
  r.sub(sizeof(kTrailerMagic));
  EmbeddedPlanSpan span;
  span.offset = r.get<uint64_t>();
  span.size = r.get<uint64_t>();
  uint32_t version = r.get<uint32_t>();
  uint32_t crc = r.get<uint32_t>();
  if (crc != crc32Update(0, bytes, kTrailerBytes - sizeof(uint32_t)) ||
      version != kTrailerVersion || span.offset > fileSize - kTrailerBytes ||
      span.size != fileSize - kTrailerBytes - span.offset)
    throw RuntimeError(path + ": the embedded plan's trailer is corrupt "
                              "(was the file truncated or modified?)");
  return span;
}

} // namespace sstep
