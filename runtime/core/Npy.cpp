//===- Npy.cpp - NumPy .npy files of float32 tensors ----------------------===//

#include "runtime/core/Npy.h"
#include "runtime/core/RuntimeError.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <regex>
#include <sys/stat.h>
#include <unistd.h>

namespace sstep {
namespace {

const char kMagic[] = "\x93NUMPY";

RuntimeError npyError(const std::string &path, const std::string &what) {
  return RuntimeError(path + ": " + what);
}

std::string headerText(const std::vector<int64_t> &shape) {
  std::string dims;
  for (int64_t d : shape)
    dims += std::to_string(d) + ", ";
  if (shape.size() > 1)
    dims.erase(dims.size() - 2); // (3, 4); a 1-tuple keeps its comma: (3,)
  else if (shape.size() == 1)
    dims.erase(dims.size() - 1);
  std::string text =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic, version and length take 10 bytes; pad so data starts 64-aligned.
  std::size_t total = 10 + text.size() + 1;
  text.append((64 - total % 64) % 64, ' ');
  return text + "\n";
}

int64_t elementCount(const std::vector<int64_t> &shape,
                     const std::string &path) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && n > (int64_t(1) << 40) / d))
      throw npyError(path, "bad .npy shape");
    n *= d;
  }
  return n;
}

std::vector<int64_t> parseShape(const std::string &header,
                                const std::string &path) {
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)")))
    throw npyError(path, ".npy header has no shape");
  std::vector<int64_t> shape;
  std::string dims = m[1];
  std::regex number("\\d+");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), number);
       it != std::sregex_iterator(); ++it) {
    // Digits past int64 are bad input, not an exception of the library's.
    errno = 0;
    long long d = std::strtoll(it->str().c_str(), nullptr, 10);
    if (errno == ERANGE)
      throw npyError(path, "bad .npy shape: dimension " + it->str() +
                               " is out of range");
    shape.push_back(d);
  }
  return shape;
}

/// Magic, version 1.0, the header's length and the header.
std::string preamble(const std::vector<int64_t> &shape) {
  std::string header = headerText(shape);
  uint16_t len = uint16_t(header.size());
  std::string bytes(kMagic, 6);
  bytes += {char(1), char(0), char(len & 0xFF), char(len >> 8)};
  return bytes + header;
}

} // namespace

void writeNpy(const std::string &path, const std::vector<int64_t> &shape,
              const float *data) {
  static_assert(sizeof(float) == 4, "float32 expected");
  int64_t n = elementCount(shape, path);
  std::string part = path + ".part";
  {
    std::ofstream out(part, std::ios::binary);
    if (!out)
      throw npyError(path, "cannot create " + part);
    out << preamble(shape);
    out.write(reinterpret_cast<const char *>(data), std::streamsize(n * 4));
    if (!out.flush())
      throw npyError(path, "cannot write " + part);
  }
  if (std::rename(part.c_str(), path.c_str()) != 0)
    throw npyError(path, "cannot rename " + part + " to it");
}

Tensor readNpy(const std::string &path) { return NpyFile(path).readAll(); }

NpyFile::NpyFile(const std::string &path) : path_(path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw npyError(path, "cannot open");
  char magic[8] = {};
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 6) != 0)
    throw npyError(path, "not a .npy file");
  uint32_t len = 0;
  unsigned char b[4] = {};
  int lenBytes = magic[6] == 1 ? 2 : 4;
  if (!in.read(reinterpret_cast<char *>(b), lenBytes))
    throw npyError(path, "truncated .npy header");
  for (int i = lenBytes - 1; i >= 0; --i)
    len = (len << 8) | b[i];
  // Checked before the allocation: a length field of garbage says 4 GB.
  if (len > (1u << 20))
    throw npyError(path, "a .npy header of " + std::to_string(len) +
                             " bytes (more than 1 MiB: not a .npy file)");
  std::string header(len, ' ');
  if (!in.read(&header[0], len))
    throw npyError(path, "truncated .npy header");
  if (header.find("'<f4'") == std::string::npos)
    throw npyError(path, "only little-endian float32 ('<f4') is supported");
  if (header.find("'fortran_order': False") == std::string::npos)
    throw npyError(path, "only C-order arrays are supported");
  shape_ = parseShape(header, path);
  dataOffset_ = 8 + lenBytes + int64_t(len);
  in.seekg(0, std::ios::end);
  if (int64_t(in.tellg()) < dataOffset_ + elementCount(shape_, path) * 4)
    throw npyError(path, "truncated .npy data");
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0)
    throw npyError(path, "cannot open");
}

NpyFile::~NpyFile() {
  if (fd_ >= 0)
    ::close(fd_);
}

void NpyFile::readAt(int64_t element, int64_t count, float *into) const {
  char *to = reinterpret_cast<char *>(into);
  int64_t offset = dataOffset_ + element * 4, left = count * 4;
  while (left > 0) {
    ssize_t got = ::pread(fd_, to, size_t(left), off_t(offset));
    ++reads_;
    if (got <= 0)
      throw npyError(path_, "truncated .npy data");
    readBytes_ += got;
    to += got;
    offset += got;
    left -= got;
  }
}

Tensor NpyFile::readAll() const {
  Tensor a;
  a.shape = shape_;
  a.data.resize(std::size_t(elementCount(shape_, path_)));
  readAt(0, int64_t(a.data.size()), a.data.data());
  return a;
}

Tensor NpyFile::readBlock(int64_t row, int64_t rows, int64_t col,
                          int64_t cols) const {
  if (shape_.size() != 4 || row < 0 || col < 0 || rows < 0 || cols < 0 ||
      row + rows > shape_[2] || col + cols > shape_[3])
    throw npyError(path_, "no block of " + std::to_string(rows) + "x" +
                              std::to_string(cols) + " at (" +
                              std::to_string(row) + ", " + std::to_string(col) +
                              ") in an array of shape " + formatShape(shape_));
  Tensor t({shape_[0], shape_[1], rows, cols});
  float *to = t.data.data();
  // Rows as wide as the array follow each other in the file: one read per
  // plane instead of one per row.
  int64_t run = cols == shape_[3] ? rows : 1;
  for (int64_t plane = 0; plane < shape_[0] * shape_[1]; ++plane)
    for (int64_t y = row; y < row + rows; y += run, to += run * cols)
      readAt((plane * shape_[2] + y) * shape_[3] + col, run * cols, to);
  return t;
}

namespace {

/// Whether the file open at `fd` is `bytes` long and starts with `head`.
bool holds(int fd, const std::string &head, int64_t bytes) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || int64_t(st.st_size) != bytes)
    return false;
  std::string found(head.size(), '\0');
  return ::pread(fd, found.data(), found.size(), 0) == ssize_t(found.size()) &&
         found == head;
}

} // namespace

bool NpyWriter::partHolds(const std::string &path,
                          const std::vector<int64_t> &shape) {
  if (shape.size() != 4)
    return false;
  std::string head = preamble(shape);
  int fd = ::open((path + ".part").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool found = holds(fd, head, int64_t(head.size()) + numElements(shape) * 4);
  ::close(fd);
  return found;
}

NpyWriter::NpyWriter(const std::string &path, const std::vector<int64_t> &shape,
                     bool reopen)
    : path_(path), part_(path + ".part"), shape_(shape) {
  if (shape.size() != 4)
    throw npyError(path, "only NCHW arrays are written a block at a time");
  std::string head = preamble(shape);
  dataOffset_ = int64_t(head.size());
  int64_t bytes = elementCount(shape, path) * 4;
  if (reopen) {
    fd_ = ::open(part_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ >= 0 && holds(fd_, head, dataOffset_ + bytes))
      return;
    if (fd_ >= 0)
      ::close(fd_);
  }
  fd_ = ::open(part_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw npyError(path,
                   "cannot create " + part_ + ": " + std::strerror(errno));
  // The full size at once (sparse), so blocks of any order land in place.
  if (::pwrite(fd_, head.data(), head.size(), 0) != ssize_t(head.size()) ||
      ::ftruncate(fd_, off_t(dataOffset_ + bytes)) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd_);
    ::unlink(part_.c_str());
    fd_ = -1;
    throw npyError(path, "cannot write " + part_ + ": " + why);
  }
}

NpyWriter::~NpyWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    if (!keep_)
      ::unlink(part_.c_str());
  }
}

void NpyWriter::sync() {
  if (fd_ >= 0 && ::fdatasync(fd_) != 0)
    throw npyError(path_,
                   "cannot write " + part_ + ": " + std::strerror(errno));
}

void NpyWriter::writeBlock(int64_t row, int64_t col, const Tensor &block) {
  if (fd_ < 0 || block.rank() != 4 || block.dim(0) != shape_[0] ||
      block.dim(1) != shape_[1] || row < 0 || col < 0 ||
      row + block.dim(2) > shape_[2] || col + block.dim(3) > shape_[3])
    throw npyError(path_, "no block of shape " + formatShape(block.shape) +
                              " at (" + std::to_string(row) + ", " +
                              std::to_string(col) + ") in an array of shape " +
                              formatShape(shape_));
  int64_t rows = block.dim(2), cols = block.dim(3);
  // A block as wide as the array is one run per plane in the file: one
  // write each instead of one per row (a 2048-channel block of 128 rows is
  // 262144 writes, 0.6 s, row by row).
  int64_t run = cols == shape_[3] ? rows : 1;
  const float *from = block.data.data();
  for (int64_t plane = 0; plane < shape_[0] * shape_[1]; ++plane)
    for (int64_t y = row; y < row + rows; y += run, from += run * cols) {
      off_t at =
          off_t(dataOffset_ + ((plane * shape_[2] + y) * shape_[3] + col) * 4);
      const char *bytes = reinterpret_cast<const char *>(from);
      for (size_t done = 0, size = size_t(run * cols) * 4; done < size;) {
        ssize_t n = ::pwrite(fd_, bytes + done, size - done, at + off_t(done));
        ++writes_;
        if (n < 0 && errno == EINTR)
          continue;
        if (n <= 0)
          throw npyError(path_,
                         "cannot write " + part_ + ": " + std::strerror(errno));
        done += size_t(n);
        writtenBytes_ += n;
      }
    }
}

void NpyWriter::finish() {
  if (fd_ < 0)
    throw npyError(path_, "finished twice");
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    ::unlink(part_.c_str());
    throw npyError(path_,
                   "cannot write " + part_ + ": " + std::strerror(errno));
  }
  if (std::rename(part_.c_str(), path_.c_str()) != 0) {
    ::unlink(part_.c_str());
    throw npyError(path_, "cannot rename " + part_ + " to it");
  }
}

} // namespace sstep
