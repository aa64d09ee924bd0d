//===- Constants.cpp - A Program's weights, in memory or in its plan ------===//

#include "runtime/core/Constants.h"
#include "runtime/core/ByteIO.h"
#include "runtime/core/RuntimeError.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace sstep {

ConstantFile::ConstantFile(const std::string &path, uint64_t base)
    : path_(path), base_(base) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0)
    throw RuntimeError(path + ": cannot open: " + std::strerror(errno));
}

ConstantFile::~ConstantFile() {
  if (fd_ >= 0)
    ::close(fd_);
}

void ConstantFile::read(uint64_t offset, char *into, uint64_t size) const {
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd_, into + done, size - done,
                        static_cast<off_t>(base_ + offset + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      throw RuntimeError(path_ + ": cannot read byte " +
                         std::to_string(base_ + offset + done) + ": " +
                         (n < 0 ? std::strerror(errno)
                                : "the file is shorter (it changed while "
                                  "being read?)"));
    done += uint64_t(n);
  }
}

void Constants::set(int v, Tensor tensor) {
  set(v, std::make_shared<const Tensor>(std::move(tensor)));
}

void Constants::set(int v, std::shared_ptr<const Tensor> tensor) {
  if (tensor->size() != numElements(tensor->shape))
    throw RuntimeError("constant " + std::to_string(v) + " has " +
                       std::to_string(tensor->size()) +
                       " elements, its shape " + formatShape(tensor->shape) +
                       " says otherwise");
  shapes_[v] = tensor->shape;
  Entry &e = entries_[v] = Entry();
  e.tensor = std::move(tensor);
}

void Constants::setInFile(int v, Shape shape,
                          std::shared_ptr<const ConstantFile> file,
                          uint64_t offset, uint32_t crc) {
  shapes_[v] = std::move(shape);
  Entry &e = entries_[v] = Entry();
  e.file = std::move(file);
  e.offset = offset;
  e.crc = crc;
  e.hasCrc = true;
}

const Constants::Entry &Constants::entry(int v) const {
  auto it = entries_.find(v);
  if (it == entries_.end())
    throw RuntimeError("internal error: value " + std::to_string(v) +
                       " is not a constant");
  return it->second;
}

const Shape &Constants::shape(int v) const {
  entry(v);
  return shapes_.at(v);
}

int64_t Constants::bytes() const {
  int64_t total = 0;
  for (const auto &[v, shape] : shapes_)
    total += numElements(shape) * int64_t(sizeof(float));
  return total;
}

std::shared_ptr<const Tensor> Constants::load(int v, const Entry &e) const {
  auto tensor = std::make_shared<Tensor>(shapes_.at(v));
  uint64_t bytes = uint64_t(tensor->size()) * sizeof(float);
  e.file->read(e.offset, reinterpret_cast<char *>(tensor->data.data()), bytes);
  // The load checked the file whole; a plan rewritten in place since then
  // is caught here rather than run with other weights.
  if (crc32Update(0, tensor->data.data(), bytes) != e.crc)
    throw RuntimeError(e.file->path() + ": the weights of constant " +
                       std::to_string(v) +
                       " changed on disk since the plan was loaded");
  return tensor;
}

const Tensor &Constants::get(int v) const {
  const Entry &e = entry(v);
  std::lock_guard<std::mutex> lock(*mutex_);
  if (!e.tensor)
    e.tensor = load(v, e);
  return *e.tensor;
}

std::shared_ptr<const Tensor> Constants::read(int v) const {
  const Entry &e = entry(v);
  {
    std::lock_guard<std::mutex> lock(*mutex_);
    if (e.tensor)
      return e.tensor;
  }
  return load(v, e);
}

uint32_t Constants::crc(int v) const {
  const Entry &e = entry(v);
  std::lock_guard<std::mutex> lock(*mutex_);
  if (!e.hasCrc) {
    e.crc = crc32Update(0, e.tensor->data.data(),
                        e.tensor->data.size() * sizeof(float));
    e.hasCrc = true;
  }
  return e.crc;
}

} // namespace sstep
