//===- PlanReader.cpp - Reading compiled plans ----------------------------===//
//
// Nothing in the file is trusted before it is checked: the header's own CRC,
// then the file size it promises, then the index's CRC before the index is
// parsed (every length and id bounds-checked all the same), then the data's
// CRC. The weights are not kept: each constant remembers its place and its
// own CRC, and is read again, checked, when a kernel asks (Constants.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/core/ByteIO.h"
#include "runtime/core/PlanFile.h"
#include "runtime/core/RuntimeError.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace sstep {

using namespace plan_layout;

namespace {

bool getBool(ByteReader &r) {
  auto b = r.get<uint8_t>();
  if (b > 1)
    r.fail("a flag of " + std::to_string(b));
  return b == 1;
}

template <typename E> E getEnum(ByteReader &r, E last, const char *what) {
  auto v = r.get<uint8_t>();
  if (v > static_cast<uint8_t>(last))
    r.fail(std::string("unknown ") + what + " " + std::to_string(v));
  return static_cast<E>(v);
}

template <typename T> std::vector<T> getList(ByteReader &r) {
  std::vector<T> v(r.getCount(sizeof(T)));
  for (T &x : v)
    x = r.get<T>();
  return v;
}

Shape getShape(ByteReader &r) {
  Shape shape = getList<int64_t>(r);
  for (int64_t d : shape)
    if (d < -1)
      r.fail("a dimension of " + std::to_string(d));
  return shape;
}

std::vector<int> getIds(ByteReader &r, size_t numValues) {
  std::vector<int> ids;
  for (int32_t id : getList<int32_t>(r)) {
    if (id < 0 || static_cast<size_t>(id) >= numValues)
      r.fail("value id " + std::to_string(id) + " out of range");
    ids.push_back(id);
  }
  return ids;
}

AxisRule getAxisRule(ByteReader &r) {
  AxisRule rule;
  rule.kind = getEnum(r, AxisRule::Kind::Resize, "window rule kind");
  rule.border = getEnum(r, BorderRule::Constant, "border rule");
  for (int64_t *field :
       {&rule.window.kernel, &rule.window.stride, &rule.window.dilation,
        &rule.window.padBegin, &rule.window.padEnd})
    *field = r.get<int64_t>();
  rule.ceilMode = getBool(r);
  rule.outputPadding = r.get<int64_t>();
  rule.linear = getBool(r);
  rule.coordinateMode = r.getString();
  rule.nearestMode = r.getString();
  rule.scale = r.get<double>();
  rule.fixedSize = r.get<int64_t>();
  rule.likeNum = r.get<int64_t>();
  rule.likeDen = r.get<int64_t>();
  return rule;
}

Attribute getAttribute(ByteReader &r) {
  switch (auto tag = r.get<uint8_t>()) {
  case 0:
    return r.get<int64_t>();
  case 1:
    return r.get<double>();
  case 2:
    return r.getString();
  case 3:
    return getList<int64_t>(r);
  case 4:
    return getList<double>(r);
  default:
    r.fail("unknown attribute kind " + std::to_string(tag));
  }
}

Node getNode(ByteReader &r, size_t numValues) {
  Node node;
  node.op = r.getString();
  node.name = r.getString();
  node.operands = getIds(r, numValues);
  node.results = getIds(r, numValues);
  for (uint32_t n = r.getCount(6); n > 0; --n) {
    std::string key = r.getString();
    node.attrs[key] = getAttribute(r);
  }
  if (getBool(r)) {
    Window window;
    for (uint32_t n = r.getCount(1); n > 0; --n)
      window.spatial.push_back(getBool(r));
    window.axes = {getAxisRule(r), getAxisRule(r)};
    node.window = std::move(window);
  }
  node.role = getEnum(r, Role::Global, "role");
  node.stage = r.get<int32_t>();
  node.reduction = r.getString();
  return node;
}

void getGradients(ByteReader &r, Program &program) {
  program.differentiable = getBool(r);
  program.notDifferentiable = r.getString();
  if (r.getCount(1) != program.nodes.size())
    r.fail("gradient rules for another number of nodes");
  for (Node &node : program.nodes) {
    if (!getBool(r))
      continue;
    VjpRule rule;
    uint32_t n = r.getCount(1);
    if (n != node.operands.size())
      r.fail(node.describe() + ": a gradient rule for " + std::to_string(n) +
             " operands");
    for (uint32_t i = 0; i < n; ++i) {
      auto flags = r.get<uint8_t>();
      if (flags > 3)
        r.fail("operand flags " + std::to_string(flags));
      rule.grads.push_back(flags & 1);
      rule.reads.push_back(flags & 2);
    }
    rule.readsResult = getBool(r);
    node.vjp = std::move(rule);
  }
  if (r.remaining() != 0)
    r.fail("section 'GRAD' has bytes left over");
}

void getMeta(ByteReader &r, PlanInfo &info) {
  for (uint32_t n = r.getCount(8); n > 0; --n) {
    std::string key = r.getString(), value = r.getString();
    if (key == "producer")
      info.producer = value;
    else if (key == "source")
      info.source = value;
    else if (key == "source_sha256")
      info.sourceSha256 = value;
    else if (key == "target")
      info.target = value;
    else if (key == "tile")
      info.tile = value;
    else if (key == "created")
      info.created = value;
    else if (key == "memory_budget")
      info.memoryBudget = std::strtoll(value.c_str(), nullptr, 10);
    // Other keys are metadata a later build added; they change nothing.
  }
}

void getValues(ByteReader &r, Program &program) {
  for (uint32_t n = r.getCount(8); n > 0; --n) {
    std::string name = r.getString();
    program.addValue(std::move(name), getShape(r));
  }
  program.inputs = getIds(r, program.values.size());
  program.outputs = getIds(r, program.values.size());
  for (uint32_t n = r.getCount(4); n > 0; --n)
    program.outputNames.push_back(r.getString());
}

/// A constant of the index, not yet read: `bytes` at `offset` in the data.
struct PendingConstant {
  int id = 0;
  Shape shape;
  uint64_t offset = 0;
  uint64_t bytes = 0;
};

std::vector<PendingConstant> getConstants(ByteReader &r, size_t numValues,
                                          uint64_t dataSize) {
  std::vector<PendingConstant> constants;
  uint64_t end = 0;
  std::vector<bool> seen(numValues, false);
  for (uint32_t n = r.getCount(24); n > 0; --n) {
    PendingConstant c;
    int32_t id = r.get<int32_t>();
    if (id < 0 || static_cast<size_t>(id) >= numValues || seen[id])
      r.fail("constant id " + std::to_string(id) + " out of range or twice");
    seen[id] = true;
    c.id = id;
    c.shape = getShape(r);
    c.offset = r.get<uint64_t>();
    uint64_t count = r.get<uint64_t>();
    // Every bound is checked before the tensor is allocated: a count that
    // disagrees with the shape or points outside the data is refused.
    uint64_t elements = 1;
    bool overflow = false;
    for (int64_t d : c.shape) {
      if (d < 0)
        r.fail("constant " + std::to_string(id) + " has a dynamic shape");
      overflow |= __builtin_mul_overflow(elements, uint64_t(d), &elements);
    }
    if (overflow || elements != count || count > dataSize / sizeof(float) ||
        c.offset % kAlign != 0 || c.offset < end ||
        c.offset > dataSize - count * sizeof(float))
      r.fail("constant " + std::to_string(id) +
             " lies outside the data section or overlaps another");
    c.bytes = count * sizeof(float);
    end = c.offset + c.bytes;
    constants.push_back(std::move(c));
  }
  return constants;
}

[[noreturn]] void corrupt(const std::string &path) {
  throw RuntimeError(path +
                     ": checksum mismatch: the file is corrupt or truncated");
}

/// The generated kernels: every node and value id they name is checked, so a
/// runtime can index the Program with them.
KernelModule getKernels(ByteReader &r, const Program &program) {
  KernelModule module;
  module.target = r.getString();
  module.precision = r.getString();
  module.architectures = r.getString();
  module.image = r.getString();
  for (uint32_t n = r.getCount(16); n > 0; --n) {
    GeneratedKernel kernel;
    kernel.symbol = r.getString();
    kernel.kind = r.getString();
    for (int32_t id : getList<int32_t>(r)) {
      if (id < 0 || size_t(id) >= program.nodes.size())
        r.fail("kernel '" + kernel.symbol + "' names node " +
               std::to_string(id) + ", out of range");
      kernel.nodes.push_back(id);
    }
    kernel.inputs = getIds(r, program.values.size());
    if (kernel.nodes.empty() || kernel.inputs.size() > kMaxKernelInputs)
      r.fail("kernel '" + kernel.symbol + "' has no nodes or too many inputs");
    module.kernels.push_back(std::move(kernel));
  }
  return module;
}

} // namespace

Program readPlan(const std::string &path, PlanInfo *info) {
  std::error_code ec;
  uint64_t fileSize = std::filesystem::file_size(path, ec);
  if (ec)
    throw RuntimeError(path + ": cannot open: " + ec.message());
  return readPlanAt(path, 0, fileSize, info);
}

Program readPlanAt(const std::string &path, uint64_t offset, uint64_t fileSize,
                   PlanInfo *info) {
  // One open file for the checks and for the weights read later, so a plan
  // replaced by a rename meanwhile cannot mix two files.
  auto file = std::make_shared<const ConstantFile>(path, offset);
  uint64_t pos = 0;
  auto readNext = [&](char *into, uint64_t size) {
    file->read(pos, into, size);
    pos += size;
  };

  char headerBytes[kHeaderBytes] = {};
  readNext(headerBytes, std::min<uint64_t>(fileSize, kHeaderBytes));
  ByteReader header(headerBytes, kHeaderBytes, path);
  if (fileSize < sizeof(kPlanMagic) ||
      !std::equal(kPlanMagic, kPlanMagic + sizeof(kPlanMagic), headerBytes))
    throw RuntimeError(path + ": not an SSTEP plan (it does not start with "
                              "\"SSTEPPLN\")");
  header.sub(sizeof(kPlanMagic));
  // The version is read before anything else is trusted: a later format may
  // lay the rest of its header out differently.
  uint32_t version = header.get<uint32_t>();
  if (fileSize >= 12 && version != kPlanFormatVersion)
    throw RuntimeError(path + ": plan format version " +
                       std::to_string(version) + ", but this build reads " +
                       "version " + std::to_string(kPlanFormatVersion) +
                       "; recompile the model with this build's "
                       "sstep-compile");
  header.get<uint32_t>(); // reserved
  uint64_t indexSize = header.get<uint64_t>();
  uint64_t dataSize = header.get<uint64_t>();
  uint32_t indexCrc = header.get<uint32_t>();
  uint32_t dataCrc = header.get<uint32_t>();
  if (fileSize < kHeaderBytes ||
      header.get<uint32_t>() != crc32Update(0, headerBytes, kHeaderCrcOffset))
    corrupt(path);
  if (indexSize % kAlign != 0 || indexSize > fileSize - kHeaderBytes ||
      dataSize != fileSize - kHeaderBytes - indexSize)
    throw RuntimeError(path + ": the file is corrupt or truncated: it has " +
                       std::to_string(fileSize) + " bytes, its header says " +
                       std::to_string(kHeaderBytes + indexSize + dataSize));

  std::string indexBytes(indexSize, '\0');
  readNext(indexBytes.data(), indexSize);
  if (crc32Update(0, indexBytes.data(), indexSize) != indexCrc)
    corrupt(path);

  ByteReader index(indexBytes.data(), indexSize, path, kHeaderBytes);
  std::map<std::string, ByteReader> sections;
  for (uint32_t n = index.getCount(12); n > 0; --n) {
    std::string tag(4, '\0');
    for (char &c : tag)
      c = static_cast<char>(index.get<uint8_t>());
    ByteReader body = index.sub(index.get<uint64_t>());
    // Sections this build does not know are skipped: a later build may add
    // optional ones without a new format version.
    if (!sections.emplace(tag, body).second)
      index.fail("section '" + tag + "' twice");
  }
  if (index.remaining() >= kAlign)
    index.fail("bytes after the last section");
  for (const char *tag : {"META", "VALS", "NODE", "CNST"})
    if (!sections.count(tag))
      index.fail(std::string("no '") + tag + "' section");

  Program program;
  PlanInfo meta;
  getMeta(sections.at("META"), meta);
  getValues(sections.at("VALS"), program);
  ByteReader &nodes = sections.at("NODE");
  for (uint32_t n = nodes.getCount(16); n > 0; --n)
    program.nodes.push_back(getNode(nodes, program.values.size()));
  std::vector<PendingConstant> pending =
      getConstants(sections.at("CNST"), program.values.size(), dataSize);
  // Plans written before training plans existed have no 'GRAD': they run,
  // and the backward pass asks for a recompiled plan.
  if (auto grad = sections.find("GRAD"); grad != sections.end())
    getGradients(grad->second, program);
  if (auto kern = sections.find("KERN"); kern != sections.end()) {
    program.kernels = getKernels(kern->second, program);
    if (kern->second.remaining() != 0)
      kern->second.fail("section 'KERN' has bytes left over");
  }
  for (const char *tag : {"META", "VALS", "NODE", "CNST"})
    if (sections.at(tag).remaining() != 0)
      sections.at(tag).fail(std::string("section '") + tag +
                            "' has bytes left over");

  // The weights are checksummed here and read again when a kernel needs
  // them (Constants), so loading a plan holds none of them.
  const uint64_t dataStart = kHeaderBytes + indexSize;
  uint32_t crc = 0;
  std::vector<char> chunk;
  auto readTo = [&](uint64_t target, uint32_t *part) {
    while (pos < dataStart + target) {
      chunk.resize(std::min<uint64_t>(dataStart + target - pos, 1 << 20));
      readNext(chunk.data(), chunk.size());
      crc = crc32Update(crc, chunk.data(), chunk.size());
      if (part)
        *part = crc32Update(*part, chunk.data(), chunk.size());
    }
  };
  for (PendingConstant &c : pending) {
    readTo(c.offset, nullptr);
    uint32_t own = 0;
    readTo(c.offset + c.bytes, &own);
    program.constants.setInFile(c.id, std::move(c.shape), file,
                                dataStart + c.offset, own);
  }
  readTo(dataSize, nullptr);
  if (crc != dataCrc)
    corrupt(path);
  if (info)
    *info = std::move(meta);
  return program;
}

} // namespace sstep
