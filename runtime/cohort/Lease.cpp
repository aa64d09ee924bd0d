//===- Lease.cpp - A claim on one slide of a cohort, in a shared folder ---===//

#include "runtime/cohort/Lease.h"
#include "runtime/core/RuntimeError.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace sstep::cohort {
namespace {

std::string hostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0)
    return "unknown";
  return name;
}

/// Field 22 of /proc/PID/stat, after the parenthesised command name (which
/// may itself hold spaces and parentheses).
int64_t startTicks(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos)
    return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  // State is field 3; start time field 22.
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22)
      return std::stoll(field);
  return -1;
}

std::string utcNow() {
  std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

/// Creates `path` exclusively with `content`; false when it exists.
bool createExclusive(const std::string &path, const std::string &content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST)
      return false;
    throw RuntimeError(path +
                       ": cannot create the lease: " + std::strerror(errno));
  }
  bool ok =
      ::write(fd, content.data(), content.size()) == ssize_t(content.size()) &&
      ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    throw RuntimeError(path +
                       ": cannot write the lease: " + std::strerror(errno));
  }
  return true;
}

/// Whether the lease with `content`, last touched `age` seconds ago, is
/// stale.
bool isStale(const std::string &content, double age, double staleSeconds) {
  LeaseOwner owner;
  if (!LeaseOwner::parse(content, &owner))
    return age > 2.0; // half written by a claimer, or garbage
  return !owner.alive() || age > staleSeconds;
}

} // namespace

LeaseOwner LeaseOwner::self() {
  LeaseOwner o;
  o.host = hostName();
  o.pid = int64_t(::getpid());
  o.start = startTicks(o.pid);
  return o;
}

std::string LeaseOwner::str() const {
  return "host=" + host + " pid=" + std::to_string(pid) +
         " start=" + std::to_string(start);
}

bool LeaseOwner::parse(const std::string &text, LeaseOwner *owner) {
  std::istringstream in(text);
  std::string word;
  LeaseOwner o;
  int found = 0;
  while (in >> word) {
    size_t eq = word.find('=');
    if (eq == std::string::npos)
      return false;
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    try {
      if (key == "host")
        o.host = value, found |= 1;
      else if (key == "pid")
        o.pid = std::stoll(value), found |= 2;
      else if (key == "start")
        o.start = std::stoll(value), found |= 4;
    } catch (const std::exception &) {
      return false;
    }
  }
  if (found != 7 || o.pid <= 0)
    return false;
  *owner = o;
  return true;
}

bool LeaseOwner::alive() const {
  if (host != hostName())
    return true;
  if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
    return false;
  return startTicks(pid) == start;
}

std::string readLeaseFile(const std::string &path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

std::unique_ptr<Lease> Lease::claim(const std::string &path,
                                    double staleSeconds) {
  std::string content =
      LeaseOwner::self().str() + " claimed=" + utcNow() + "\n";
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (createExclusive(path, content))
      return std::unique_ptr<Lease>(new Lease(path, content));
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      continue; // released meanwhile: try again
    std::string held = readLeaseFile(path);
    double age = std::difftime(std::time(nullptr), st.st_mtime);
    if (!isStale(held, age, staleSeconds))
      return nullptr;
    // Aside, under a name of our own: of two reclaimers, one renames it.
    std::string aside = path + ".stale." + LeaseOwner::self().host + "." +
                        std::to_string(::getpid());
    if (::rename(path.c_str(), aside.c_str()) != 0)
      continue;
    // Someone may have reclaimed it between our read and our rename: if
    // the file we moved is not the one we judged, put it back.
    if (readLeaseFile(aside) != held) {
      if (::link(aside.c_str(), path.c_str()) == 0) {
        ::unlink(aside.c_str());
        return nullptr;
      }
    }
    ::unlink(aside.c_str());
  }
  return nullptr;
}

bool Lease::stillOurs() const { return readLeaseFile(path_) == content_; }

bool Lease::heartbeat() {
  if (!stillOurs())
    return false;
  return ::utimensat(AT_FDCWD, path_.c_str(), nullptr, 0) == 0;
}

Lease::~Lease() {
  if (stillOurs())
    ::unlink(path_.c_str());
}

} // namespace sstep::cohort
