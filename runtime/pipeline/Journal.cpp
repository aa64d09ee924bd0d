//===- Journal.cpp - Which tiles of an interrupted run are done -----------===//

#include "runtime/pipeline/Journal.h"
#include "runtime/core/RuntimeError.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace sstep::pipeline {
namespace {

const char *kMagic = "sstep-journal 1 ";

std::string why() { return std::strerror(errno); }

void writeAll(int fd, const std::string &text, const std::string &path) {
  const char *p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      throw RuntimeError(path + ": cannot write the journal: " + why());
    p += n;
    left -= size_t(n);
  }
  if (::fdatasync(fd) != 0)
    throw RuntimeError(path + ": cannot sync the journal: " + why());
}

} // namespace

Journal::Journal(std::string path, const std::string &fingerprint)
    : path_(std::move(path)) {
  std::string header = kMagic + fingerprint + "\n";
  std::ifstream in(path_, std::ios::binary);
  if (in) {
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    start_ = Start::Mismatch;
    if (text.compare(0, header.size(), header) == 0) {
      start_ = Start::Resumed;
      // Only whole lines count: a kill may cut the last one short.
      size_t complete = text.rfind('\n') + 1;
      std::stringstream lines(
          text.substr(header.size(), complete - header.size()));
      std::string line;
      while (std::getline(lines, line)) {
        char *end = nullptr;
        long long tile = std::strtoll(line.c_str(), &end, 10);
        if (line.empty() || *end != '\0' || tile < 0) {
          start_ = Start::Mismatch; // not ours after all: start afresh
          done_.clear();
          break;
        }
        done_.insert(tile);
      }
      if (start_ == Start::Resumed) {
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd_ < 0 || ::ftruncate(fd_, off_t(complete)) != 0 ||
            ::lseek(fd_, 0, SEEK_END) < 0)
          throw RuntimeError(path_ + ": cannot reopen the journal: " + why());
        return;
      }
    }
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw RuntimeError(path_ + ": cannot create the journal: " + why());
  writeAll(fd_, header, path_);
}

bool Journal::holds(const std::string &path, const std::string &fingerprint) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  return in && std::getline(in, line) && line == kMagic + fingerprint;
}

Journal::~Journal() {
  if (fd_ >= 0)
    ::close(fd_);
}

void Journal::record(const std::vector<int64_t> &tiles) {
  if (tiles.empty())
    return;
  std::string text;
  for (int64_t tile : tiles) {
    text += std::to_string(tile) + "\n";
    done_.insert(tile);
  }
  writeAll(fd_, text, path_);
}

void Journal::remove() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  ::unlink(path_.c_str());
}

} // namespace sstep::pipeline
