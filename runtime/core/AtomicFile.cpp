//===- AtomicFile.cpp - Records that are whole or absent, and their times -===//

#include "runtime/core/AtomicFile.h"
#include "runtime/core/RuntimeError.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace sstep {

std::string utcTimestamp() {
  std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

double unixSeconds() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void writeFileAtomically(const std::string &path, const std::string &text) {
  char host[128] = {};
  ::gethostname(host, sizeof host - 1);
  // Unique per host, process and call, so concurrent writers never share it.
  static std::atomic<int64_t> serial{0};
  std::string part = path + ".tmp." + host + "." + std::to_string(::getpid()) +
                     "." + std::to_string(serial++);
  int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw RuntimeError(path + ": cannot create " + part + ": " +
                       std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size()) &&
            ::fsync(fd) == 0;
  int error = errno;
  ::close(fd);
  if (!ok || ::rename(part.c_str(), path.c_str()) != 0) {
    error = ok ? errno : error;
    ::unlink(part.c_str());
    throw RuntimeError(path + ": cannot write: " + std::strerror(error));
  }
  // The rename itself survives a power cut only once the folder is synced.
  std::string folder = std::filesystem::path(path).parent_path().string();
  int dir = ::open(folder.empty() ? "." : folder.c_str(),
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

} // namespace sstep
