//===- Fingerprint.cpp - What a run's results depend on, hashed -----------===//

#include "runtime/exec/Fingerprint.h"
#include "runtime/core/Program.h"

#include <cstdio>
#include <sys/stat.h>
#include <type_traits>
#include <variant>

namespace sstep::exec {
namespace {

void addAttribute(Fingerprint &f, const Attribute &attribute) {
  f.add(int64_t(attribute.index()));
  std::visit(
      [&](const auto &v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>)
          f.add(v);
        else if constexpr (std::is_arithmetic_v<T>)
          f.add(&v, sizeof v);
        else
          f.add(int64_t(v.size())).add(v.data(), v.size() * sizeof(v[0]));
      },
      attribute);
}

} // namespace

Fingerprint &Fingerprint::add(const void *data, size_t bytes) {
  const auto *p = static_cast<const unsigned char *>(data);
  for (size_t i = 0; i < bytes; ++i) {
    hash_ ^= p[i];
    hash_ *= 0x100000001b3ull;
  }
  return *this;
}

Fingerprint &Fingerprint::add(const std::string &text) {
  add(int64_t(text.size())); // so "ab"+"c" differs from "a"+"bc"
  return add(text.data(), text.size());
}

std::string Fingerprint::hex() const {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", (unsigned long long)hash_);
  return text;
}

void addProgram(Fingerprint &f, const Program &program) {
  for (const ValueInfo &v : program.values)
    f.add(v.name)
        .add(int64_t(v.shape.size()))
        .add(v.shape.data(), v.shape.size() * 8);
  for (int v : program.inputs)
    f.add(v);
  for (int v : program.outputs)
    f.add(v);
  for (const Node &node : program.nodes) {
    f.add(node.op).add(node.name).add(int64_t(node.role)).add(node.stage);
    f.add(node.reduction);
    for (int v : node.operands)
      f.add(v);
    for (int v : node.results)
      f.add(-1 - v);
    for (const auto &[key, attribute] : node.attrs) {
      f.add(key);
      addAttribute(f, attribute);
    }
  }
  // The weights by their CRC-32, which a plan's load has computed already.
  for (const auto &[v, shape] : program.constants.shapes())
    f.add(v)
        .add(shape.data(), shape.size() * 8)
        .add(int64_t(program.constants.crc(v)));
}

void addFile(Fingerprint &f, const std::string &path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  f.add(path).add(int64_t(st.st_size));
  f.add(int64_t(st.st_mtim.tv_sec)).add(int64_t(st.st_mtim.tv_nsec));
}

} // namespace sstep::exec
