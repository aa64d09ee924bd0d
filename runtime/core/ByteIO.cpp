//===- ByteIO.cpp - CRC-32 for the plan file ------------------------------===//

#include "runtime/core/ByteIO.h"

#ifdef SSTEP_HAVE_ZLIB
#include <zlib.h>
#else
#include <array>
#endif

namespace sstep {

uint32_t crc32Update(uint32_t crc, const void *data, size_t size) {
  // zlib answers a null buffer (an empty tensor's data()) with the initial
  // value, dropping what came before.
  if (size == 0)
    return crc;
#ifdef SSTEP_HAVE_ZLIB
  return static_cast<uint32_t>(
      ::crc32_z(crc, static_cast<const Bytef *>(data), size));
#else
  // Builds without zlib's headers (the bare GPU image) get the same CRC,
  // bytewise: slower, but the file stays readable by either build.
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  const auto *p = static_cast<const unsigned char *>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i)
    crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
#endif
}

} // namespace sstep
