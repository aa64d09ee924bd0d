//===- Npy.cpp - NumPy .npy files of float32 tensors ----------------------===//

#include "runtime/core/Npy.h"
#include "runtime/core/RuntimeError.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>

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
       it != std::sregex_iterator(); ++it)
    shape.push_back(std::stoll(it->str()));
  return shape;
}

} // namespace

void writeNpy(const std::string &path, const std::vector<int64_t> &shape,
              const float *data) {
  static_assert(sizeof(float) == 4, "float32 expected");
  int64_t n = elementCount(shape, path);
  std::string header = headerText(shape);
  std::string part = path + ".part";
  {
    std::ofstream out(part, std::ios::binary);
    if (!out)
      throw npyError(path, "cannot create " + part);
    uint16_t len = uint16_t(header.size());
    out.write(kMagic, 6);
    out.put(1).put(0);
    out.put(char(len & 0xFF)).put(char(len >> 8));
    out << header;
    out.write(reinterpret_cast<const char *>(data), std::streamsize(n * 4));
    if (!out.flush())
      throw npyError(path, "cannot write " + part);
  }
  if (std::rename(part.c_str(), path.c_str()) != 0)
    throw npyError(path, "cannot rename " + part + " to it");
}

Tensor readNpy(const std::string &path) {
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
  std::string header(len, ' ');
  if (len > (1u << 20) || !in.read(&header[0], len))
    throw npyError(path, "truncated .npy header");
  if (header.find("'<f4'") == std::string::npos)
    throw npyError(path, "only little-endian float32 ('<f4') is supported");
  if (header.find("'fortran_order': False") == std::string::npos)
    throw npyError(path, "only C-order arrays are supported");
  Tensor a;
  a.shape = parseShape(header, path);
  a.data.resize(std::size_t(elementCount(a.shape, path)));
  if (!in.read(reinterpret_cast<char *>(a.data.data()),
               std::streamsize(a.data.size() * 4)))
    throw npyError(path, "truncated .npy data");
  return a;
}

} // namespace sstep
