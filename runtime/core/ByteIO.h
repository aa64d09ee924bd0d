//===- ByteIO.h - Bounds-checked little-endian byte buffers ------*- C++
//-*-===//
//
// The two halves of the plan file's encoding (runtime/core/PlanFile.cpp):
// ByteWriter appends little-endian integers, doubles and length-prefixed
// strings to a buffer; ByteReader reads them back and throws RuntimeError,
// naming the file and the byte offset, instead of reading past the end. A
// count read from the file is checked against the bytes left before anything
// is allocated, so a hostile count cannot ask for gigabytes.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CORE_BYTEIO_H
#define SSTEP_RUNTIME_CORE_BYTEIO_H

#include "runtime/core/RuntimeError.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

// Integers and floats are stored by copying their bytes; that is the file's
// little-endian layout only on a little-endian host, the only kind we build
// for. A big-endian port would byte-swap in put() and get().
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the plan file encoding assumes a little-endian host");

namespace sstep {

/// CRC-32 (the zlib/PNG polynomial) of `size` bytes, continuing from `crc`
/// (0 to start).
uint32_t crc32Update(uint32_t crc, const void *data, size_t size);

class ByteWriter {
public:
  template <typename T> void put(T value) {
    static_assert(std::is_arithmetic_v<T>);
    bytes_.append(reinterpret_cast<const char *>(&value), sizeof(T));
  }
  void putString(const std::string &s) {
    put(static_cast<uint32_t>(s.size()));
    bytes_ += s;
  }
  void putBytes(const std::string &s) { bytes_ += s; }
  /// Zeros up to the next multiple of `alignment`.
  void padTo(size_t alignment) {
    bytes_.append((alignment - bytes_.size() % alignment) % alignment, '\0');
  }
  const std::string &bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

private:
  std::string bytes_;
};

class ByteReader {
public:
  /// `where` names the file in messages; `base` is the buffer's offset in it.
  ByteReader(const char *data, size_t size, std::string where, size_t base = 0)
      : data_(data), size_(size), where_(std::move(where)), base_(base) {}

  template <typename T> T get() {
    static_assert(std::is_arithmetic_v<T>);
    need(sizeof(T), "a number");
    T value;
    std::memcpy(&value, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  std::string getString() {
    uint32_t size = get<uint32_t>();
    need(size, "a string");
    std::string s(data_ + pos_, size);
    pos_ += size;
    return s;
  }
  /// A count of items that take at least `minItemBytes` each.
  uint32_t getCount(size_t minItemBytes) {
    uint32_t count = get<uint32_t>();
    if (minItemBytes != 0 && count > remaining() / minItemBytes)
      fail("a count of " + std::to_string(count) + " runs past the end");
    return count;
  }
  /// A sub-reader over the next `size` bytes, which this one skips.
  ByteReader sub(uint64_t size) {
    need(size, "a section");
    ByteReader inner(data_ + pos_, size, where_, base_ + pos_);
    pos_ += size;
    return inner;
  }

  size_t remaining() const { return size_ - pos_; }
  size_t offset() const { return base_ + pos_; }
  [[noreturn]] void fail(const std::string &what) const {
    throw RuntimeError(where_ + ": malformed plan at byte " +
                       std::to_string(offset()) + ": " + what);
  }

private:
  void need(uint64_t bytes, const char *what) const {
    if (bytes > remaining())
      fail(std::string(what) + " runs past the end of its section");
  }

  const char *data_;
  size_t size_;
  size_t pos_ = 0;
  std::string where_;
  size_t base_;
};

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_BYTEIO_H
