//===- Checkpoint.cpp - Where a run of several stages stands, for resume --===//

#include "runtime/exec/Checkpoint.h"
#include "runtime/core/AtomicFile.h"
#include "runtime/core/ByteIO.h"
#include "runtime/core/RuntimeError.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace sstep::exec {
namespace {

constexpr const char *kStateMagic = "sstep-checkpoint 1";
constexpr const char *kValuesMagic = "sstep-checkpoint-values 1";

void putShape(ByteWriter &out, const Shape &shape) {
  out.put(uint32_t(shape.size()));
  for (int64_t d : shape)
    out.put(d);
}

Shape getShape(ByteReader &in) {
  Shape shape(in.getCount(8));
  for (int64_t &d : shape) {
    d = in.get<int64_t>();
    if (d < 0 || d > (int64_t(1) << 40))
      in.fail("a dimension of " + std::to_string(d));
  }
  return shape;
}

/// `bytes` with its CRC-32 after it.
std::string sealed(const ByteWriter &out) {
  uint32_t crc = crc32Update(0, out.bytes().data(), out.size());
  return out.bytes() + std::string(reinterpret_cast<const char *>(&crc), 4);
}

/// The contents of `path` without their CRC-32 when it matches; nullopt when
/// the file is missing, short or damaged.
std::optional<std::string> unsealed(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  std::string bytes = text.str();
  if (bytes.size() < 4)
    return std::nullopt;
  uint32_t crc;
  std::memcpy(&crc, bytes.data() + bytes.size() - 4, 4);
  bytes.resize(bytes.size() - 4);
  if (crc32Update(0, bytes.data(), bytes.size()) != crc)
    return std::nullopt;
  return bytes;
}

bool ours(const std::string &name) {
  return name == "checkpoint" || name.rfind("checkpoint.tmp.", 0) == 0 ||
         name.rfind("values-", 0) == 0 || name.rfind("image-", 0) == 0;
}

/// The names of our files in `folder`.
std::vector<std::string> oursIn(const std::string &folder) {
  std::vector<std::string> names;
  if (DIR *dir = ::opendir(folder.c_str())) {
    while (dirent *entry = ::readdir(dir))
      if (ours(entry->d_name))
        names.push_back(entry->d_name);
    ::closedir(dir);
  }
  return names;
}

} // namespace

Checkpoints::Checkpoints(std::string folder, std::string fingerprint,
                         double intervalSeconds)
    : folder_(std::move(folder)), fingerprint_(std::move(fingerprint)),
      intervalSeconds_(intervalSeconds),
      lastSave_(std::chrono::steady_clock::now()) {
  if (::mkdir(folder_.c_str(), 0755) != 0 && errno != EEXIST) {
    size_t slash = folder_.rfind('/');
    std::string parent =
        slash == std::string::npos ? "." : folder_.substr(0, slash);
    throw RuntimeError("scratch folder " + parent +
                       ": cannot create a file there (" +
                       folder_.substr(slash + 1) +
                       ", to resume from): " + std::strerror(errno));
  }
  bool any = !oursIn(folder_).empty();
  found_ = read();
  start_ = found_ ? Start::Resumed : any ? Start::Mismatch : Start::Fresh;
  prune(found_ ? &*found_ : nullptr);
}

std::string Checkpoints::path(const std::string &file) const {
  return folder_ + "/" + file;
}

std::string Checkpoints::imagePath(int value) const {
  return path("image-" + std::to_string(value));
}

std::optional<Checkpoint> Checkpoints::read() const {
  std::optional<std::string> bytes = unsealed(path("checkpoint"));
  if (!bytes)
    return std::nullopt;
  try {
    ByteReader in(bytes->data(), bytes->size(), path("checkpoint"));
    if (in.getString() != kStateMagic || in.getString() != fingerprint_)
      return std::nullopt;
    Checkpoint c;
    c.stage = in.get<int32_t>();
    c.tilesDone = in.get<int64_t>();
    for (uint32_t n = in.getCount(16); n > 0; --n) {
      int node = in.get<int32_t>();
      Reducer::State &r = c.reductions[node];
      r.kind = ReduceKind(in.get<int32_t>());
      r.shape = getShape(in);
      r.acc.resize(in.getCount(8));
      for (double &a : r.acc)
        a = in.get<double>();
      r.pixels = in.get<int64_t>();
    }
    for (uint32_t n = in.getCount(8); n > 0; --n) {
      int value = in.get<int32_t>();
      Checkpoint::Image &image = c.images[value];
      image.interleaved = in.get<uint8_t>() != 0;
      image.shape = getShape(in);
    }
    // The values of its stage must be there too, and every image it lists:
    // a run killed while removing its finished folder may have unlinked
    // an image before the checkpoint naming it.
    if (!unsealed(path("values-" + std::to_string(c.stage))))
      return std::nullopt;
    for (const auto &[value, image] : c.images) {
      struct stat st;
      if (::stat(imagePath(value).c_str(), &st) != 0)
        return std::nullopt;
    }
    return c;
  } catch (const RuntimeError &) {
    return std::nullopt;
  }
}

std::map<int, Tensor> Checkpoints::foundValues() const {
  std::map<int, Tensor> values;
  if (!found_)
    return values;
  std::string file = path("values-" + std::to_string(found_->stage));
  std::optional<std::string> bytes = unsealed(file);
  if (!bytes)
    throw RuntimeError(file + ": missing or damaged since the run began");
  ByteReader in(bytes->data(), bytes->size(), file);
  if (in.getString() != kValuesMagic || in.getString() != fingerprint_)
    throw RuntimeError(file + ": from another command");
  for (uint32_t n = in.getCount(8); n > 0; --n) {
    int value = in.get<int32_t>();
    Shape shape = getShape(in);
    Tensor t(shape);
    for (float &x : t.data)
      x = in.get<float>();
    values[value] = std::move(t);
  }
  return values;
}

bool Checkpoints::due() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       lastSave_)
             .count() >= intervalSeconds_;
}

void Checkpoints::saveValues(int stage,
                             const std::map<int, const Tensor *> &values) {
  ByteWriter out;
  out.putString(kValuesMagic);
  out.putString(fingerprint_);
  out.put(uint32_t(values.size()));
  for (const auto &[value, t] : values) {
    out.put(int32_t(value));
    putShape(out, t->shape);
    for (float x : t->data)
      out.put(x);
  }
  writeFileAtomically(path("values-" + std::to_string(stage)), sealed(out));
}

void Checkpoints::save(const Checkpoint &c) {
  if (beforeSave)
    beforeSave();
  ByteWriter out;
  out.putString(kStateMagic);
  out.putString(fingerprint_);
  out.put(int32_t(c.stage));
  out.put(int64_t(c.tilesDone));
  out.put(uint32_t(c.reductions.size()));
  for (const auto &[node, r] : c.reductions) {
    out.put(int32_t(node));
    out.put(int32_t(r.kind));
    putShape(out, r.shape);
    out.put(uint32_t(r.acc.size()));
    for (double a : r.acc)
      out.put(a);
    out.put(int64_t(r.pixels));
  }
  out.put(uint32_t(c.images.size()));
  for (const auto &[value, image] : c.images) {
    out.put(int32_t(value));
    out.put(uint8_t(image.interleaved));
    putShape(out, image.shape);
  }
  writeFileAtomically(path("checkpoint"), sealed(out));
  lastSave_ = std::chrono::steady_clock::now();
  prune(&c);
}

void Checkpoints::prune(const Checkpoint *keep) {
  for (const std::string &name : oursIn(folder_)) {
    bool kept = false;
    if (keep) {
      kept = name == "checkpoint" ||
             name == "values-" + std::to_string(keep->stage);
      for (const auto &[value, image] : keep->images)
        kept = kept || name == "image-" + std::to_string(value);
    }
    if (!kept)
      ::unlink(path(name).c_str());
  }
}

void Checkpoints::remove() {
  // The checkpoint first: a kill part way through leaves files no
  // checkpoint names, which the next run removes, never a checkpoint
  // naming files that are gone.
  ::unlink(path("checkpoint").c_str());
  prune(nullptr);
  ::rmdir(folder_.c_str());
}

std::string whyNotCheckpointed(const Program &program,
                               const plan::ExecutionPlan &plan,
                               const std::vector<int> &streamed) {
  for (const plan::StoredValue &s : plan.storage.values)
    if (!s.onDisk)
      return "'" + program.values[s.value].name +
             "', stored between stages, lives in memory (--store=disk keeps "
             "it where a rerun finds it)";
  const plan::Stages &stages = plan.stages;
  for (int v : program.outputs) {
    int from = stages.producer[v];
    if (from < 0 || program.nodes[from].role != Role::Tile)
      continue;
    bool streams = std::count(streamed.begin(), streamed.end(), v) > 0;
    bool readLater = false;
    for (const Node &node : program.nodes)
      for (int operand : node.operands)
        readLater = readLater ||
                    (operand == v && node.stage != program.nodes[from].stage);
    if (!streams || readLater)
      return "output '" + program.values[v].name +
             "' is kept in memory as tiles compute it";
  }
  return "";
}

} // namespace sstep::exec
