//===- PlanFile.cpp - Writing compiled plans ------------------------------===//
//
// The index is built in memory (it is small); the weights are streamed from
// their tensors to the file, checksummed on the way. The header, which holds
// the checksums, is written last, then the finished file renamed into place.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/PlanFile.h"
#include "runtime/core/ByteIO.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace sstep {

namespace {

using namespace plan_layout;

uint64_t alignUp(uint64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

template <typename T> void putList(ByteWriter &w, const std::vector<T> &v) {
  w.put(static_cast<uint32_t>(v.size()));
  for (const T &x : v)
    w.put(x);
}

void putAxisRule(ByteWriter &w, const AxisRule &r) {
  w.put(static_cast<uint8_t>(r.kind));
  w.put(static_cast<uint8_t>(r.border));
  for (int64_t field : {r.window.kernel, r.window.stride, r.window.dilation,
                        r.window.padBegin, r.window.padEnd})
    w.put(field);
  w.put(static_cast<uint8_t>(r.ceilMode));
  w.put(r.outputPadding);
  w.put(static_cast<uint8_t>(r.linear));
  w.putString(r.coordinateMode);
  w.putString(r.nearestMode);
  w.put(r.scale);
  w.put(r.fixedSize);
  w.put(r.likeNum);
  w.put(r.likeDen);
}

void putNode(ByteWriter &w, const Node &node) {
  w.putString(node.op);
  w.putString(node.name);
  putList(w, std::vector<int32_t>(node.operands.begin(), node.operands.end()));
  putList(w, std::vector<int32_t>(node.results.begin(), node.results.end()));
  w.put(static_cast<uint32_t>(node.attrs.size()));
  for (const auto &[key, value] : node.attrs) {
    w.putString(key);
    // The tag is the variant's index: 0 int64, 1 double, 2 string,
    // 3 int64 list, 4 double list.
    w.put(static_cast<uint8_t>(value.index()));
    std::visit(
        [&](const auto &v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>)
            w.putString(v);
          else if constexpr (std::is_arithmetic_v<T>)
            w.put(v);
          else
            putList(w, v);
        },
        value);
  }
  w.put(static_cast<uint8_t>(node.window.has_value()));
  if (node.window) {
    w.put(static_cast<uint32_t>(node.window->spatial.size()));
    for (bool spatial : node.window->spatial)
      w.put(static_cast<uint8_t>(spatial));
    putAxisRule(w, node.window->axes[0]);
    putAxisRule(w, node.window->axes[1]);
  }
  w.put(static_cast<uint8_t>(node.role));
  w.put(static_cast<int32_t>(node.stage));
  w.putString(node.reduction);
}

/// Where one constant's bytes lie in the data section.
struct ConstantEntry {
  int id = 0;
  uint64_t offset = 0;
};

void putSection(ByteWriter &index, const char (&tag)[5],
                const ByteWriter &body) {
  index.putBytes(std::string(tag, 4));
  index.put(static_cast<uint64_t>(body.size()));
  index.putBytes(body.bytes());
}

ByteWriter encodeKernels(const KernelModule &module) {
  ByteWriter w;
  w.putString(module.target);
  w.putString(module.precision);
  w.putString(module.architectures);
  w.putString(module.image);
  w.put(static_cast<uint32_t>(module.kernels.size()));
  for (const GeneratedKernel &kernel : module.kernels) {
    w.putString(kernel.symbol);
    w.putString(kernel.kind);
    putList(w, std::vector<int32_t>(kernel.nodes.begin(), kernel.nodes.end()));
    putList(w,
            std::vector<int32_t>(kernel.inputs.begin(), kernel.inputs.end()));
  }
  return w;
}

/// Whether the program can be trained and each node's gradient rule; each
/// operand's flags in one byte: 1 receives a gradient, 2 read.
ByteWriter encodeGradients(const Program &program) {
  ByteWriter w;
  w.put(static_cast<uint8_t>(program.differentiable));
  w.putString(program.notDifferentiable);
  w.put(static_cast<uint32_t>(program.nodes.size()));
  for (const Node &node : program.nodes) {
    w.put(static_cast<uint8_t>(node.vjp.has_value()));
    if (!node.vjp)
      continue;
    w.put(static_cast<uint32_t>(node.vjp->grads.size()));
    for (size_t i = 0; i < node.vjp->grads.size(); ++i)
      w.put(static_cast<uint8_t>(node.vjp->grads[i] | node.vjp->reads[i] << 1));
    w.put(static_cast<uint8_t>(node.vjp->readsResult));
  }
  return w;
}

std::string encodeIndex(const Program &program, const PlanInfo &info,
                        std::vector<ConstantEntry> &layout,
                        uint64_t &dataSize) {
  ByteWriter meta;
  std::pair<const char *, std::string> entries[] = {
      {"producer", info.producer},
      {"source", info.source},
      {"source_sha256", info.sourceSha256},
      {"target", info.target},
      {"memory_budget", std::to_string(info.memoryBudget)},
      {"tile", info.tile},
      {"created", info.created}};
  meta.put(static_cast<uint32_t>(std::size(entries)));
  for (const auto &[key, value] : entries) {
    meta.putString(key);
    meta.putString(value);
  }

  ByteWriter values;
  values.put(static_cast<uint32_t>(program.values.size()));
  for (const ValueInfo &value : program.values) {
    values.putString(value.name);
    putList(values, value.shape);
  }
  putList(values,
          std::vector<int32_t>(program.inputs.begin(), program.inputs.end()));
  putList(values,
          std::vector<int32_t>(program.outputs.begin(), program.outputs.end()));
  values.put(static_cast<uint32_t>(program.outputNames.size()));
  for (const std::string &name : program.outputNames)
    values.putString(name);

  ByteWriter nodes;
  nodes.put(static_cast<uint32_t>(program.nodes.size()));
  for (const Node &node : program.nodes)
    putNode(nodes, node);

  ByteWriter constants;
  constants.put(static_cast<uint32_t>(program.constants.size()));
  dataSize = 0;
  for (const auto &[id, shape] : program.constants.shapes()) {
    layout.push_back({id, dataSize});
    constants.put(static_cast<int32_t>(id));
    putList(constants, shape);
    constants.put(dataSize);
    uint64_t count = static_cast<uint64_t>(numElements(shape));
    constants.put(count);
    dataSize = alignUp(dataSize + count * sizeof(float));
  }

  ByteWriter index;
  index.put(uint32_t(program.kernels.empty() ? 5 : 6));
  putSection(index, "META", meta);
  putSection(index, "VALS", values);
  putSection(index, "NODE", nodes);
  putSection(index, "CNST", constants);
  putSection(index, "GRAD", encodeGradients(program));
  if (!program.kernels.empty())
    putSection(index, "KERN", encodeKernels(program.kernels));
  index.padTo(kAlign);
  return index.bytes();
}

} // namespace

void writePlan(const std::string &path, const Program &program,
               const PlanInfo &info) {
  std::vector<ConstantEntry> layout;
  uint64_t dataSize = 0;
  std::string index = encodeIndex(program, info, layout, dataSize);

  std::string part = path + ".part";
  std::ofstream out(part, std::ios::binary | std::ios::trunc);
  auto fail = [&](const char *what) {
    std::string reason = std::strerror(errno);
    out.close();
    std::remove(part.c_str());
    throw RuntimeError(path + ": " + what + ": " + reason);
  };
  if (!out)
    fail("cannot write");
  // The header, which holds the checksums, is written last.
  out.write(std::string(kHeaderBytes, '\0').data(), kHeaderBytes);
  out.write(index.data(), static_cast<std::streamsize>(index.size()));

  static const char zeros[kAlign] = {};
  uint32_t dataCrc = 0;
  uint64_t pos = 0;
  auto emit = [&](const char *bytes, uint64_t size) {
    out.write(bytes, static_cast<std::streamsize>(size));
    dataCrc = crc32Update(dataCrc, bytes, size);
    pos += size;
  };
  try {
    for (const ConstantEntry &entry : layout) {
      emit(zeros, entry.offset - pos);
      std::shared_ptr<const Tensor> tensor = program.constants.read(entry.id);
      emit(reinterpret_cast<const char *>(tensor->data.data()),
           tensor->data.size() * sizeof(float));
    }
  } catch (const RuntimeError &) {
    // Weights read back from another plan can fail; leave no half file.
    out.close();
    std::remove(part.c_str());
    throw;
  }
  emit(zeros, dataSize - pos);

  ByteWriter header;
  header.putBytes(std::string(kPlanMagic, sizeof(kPlanMagic)));
  header.put(kPlanFormatVersion);
  header.put(uint32_t(0)); // reserved
  header.put(static_cast<uint64_t>(index.size()));
  header.put(dataSize);
  header.put(crc32Update(0, index.data(), index.size()));
  header.put(dataCrc);
  header.put(crc32Update(0, header.bytes().data(), kHeaderCrcOffset));
  header.padTo(kAlign);
  out.seekp(0);
  out.write(header.bytes().data(), kHeaderBytes);
  out.close();
  if (!out)
    fail("cannot write");
  if (std::rename(part.c_str(), path.c_str()) != 0)
    fail("cannot rename the finished plan into place");
}

bool isPlanFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  char magic[sizeof(kPlanMagic)] = {};
  return in.read(magic, sizeof(magic)) &&
         std::equal(magic, magic + sizeof(magic), kPlanMagic);
}

} // namespace sstep
