//===- Lease.cpp - A claim on one slide of a cohort, in a shared folder ---===//

#include "runtime/cohort/Lease.h"
#include "runtime/cohort/CohortState.h"
#include "runtime/core/RuntimeError.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <initializer_list>
#include <mutex>
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
      return std::strtoll(field.c_str(), nullptr, 10);
  return -1;
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

/// A lease file as one open saw it: its text and its inode and times.
struct Seen {
  bool exists = false;
  std::string content;
  struct stat st {};

  /// The same file, untouched since `other` was seen.
  bool same(const Seen &other) const {
    return exists && other.exists && st.st_ino == other.st.st_ino &&
           st.st_dev == other.st.st_dev &&
           st.st_mtim.tv_sec == other.st.st_mtim.tv_sec &&
           st.st_mtim.tv_nsec == other.st.st_mtim.tv_nsec &&
           content == other.content;
  }
};

/// Reads `path` through one descriptor, so its text and its age belong to
/// the same file even if another process replaces it meanwhile.
Seen look(const std::string &path) {
  Seen seen;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return seen;
  seen.exists = ::fstat(fd, &seen.st) == 0;
  char buffer[512];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
    seen.content.append(buffer, size_t(n));
  ::close(fd);
  return seen;
}

double ageOf(const Seen &seen) {
  return std::difftime(std::time(nullptr), seen.st.st_mtime);
}

/// Whether the lease `seen` is stale: its owner is gone, or it went
/// `staleSeconds` without a heartbeat. A file that names no owner (being
/// written, or garbage) is stale once a minute old, which no claimer takes
/// to write one line.
bool isStale(const Seen &seen, double staleSeconds) {
  LeaseOwner owner;
  double age = ageOf(seen);
  if (!LeaseOwner::parse(seen.content, &owner))
    return age > std::min(60.0, staleSeconds);
  return !owner.alive() || age > staleSeconds;
}

/// Takes `path`.reclaim, which keeps two reclaimers of one stale lease
/// apart; false when another holds it. A reclaim lock whose owner died is
/// broken after a minute.
bool takeReclaimLock(const std::string &lock, const std::string &content) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (createExclusive(lock, content))
      return true;
    Seen seen = look(lock);
    if (seen.exists && !isStale(seen, 60))
      return false;
    ::unlink(lock.c_str());
  }
  return false;
}

/// The leases this process holds, for the signal handler: fixed storage,
/// since a handler may not allocate.
constexpr int HeldSlots = 4;
constexpr size_t HeldPathBytes = 4096;
char heldPaths[HeldSlots][HeldPathBytes];
std::atomic<bool> heldUsed[HeldSlots];

/// SIGTERM (Slurm's time limit, scancel), SIGINT, SIGHUP: release the
/// leases, so that the next run need not wait for them to go stale, then
/// die of the signal as before.
void releaseOnSignal(int sig) {
  for (int i = 0; i < HeldSlots; ++i)
    if (heldUsed[i])
      ::unlink(heldPaths[i]);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

/// Installs the handler where nothing else handles the signal (a Python
/// host keeps its own).
void installReleaseOnSignal() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
      struct sigaction old {};
      if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_DFL)
        ::signal(sig, releaseOnSignal);
    }
  });
}

int holdForSignals(const std::string &path) {
  if (path.size() >= HeldPathBytes)
    return -1;
  installReleaseOnSignal();
  for (int i = 0; i < HeldSlots; ++i) {
    bool expected = false;
    if (heldUsed[i] || !heldUsed[i].compare_exchange_strong(expected, true))
      continue;
    std::memcpy(heldPaths[i], path.c_str(), path.size() + 1);
    return i;
  }
  return -1;
}

} // namespace

Lease::Lease(std::string path, std::string content)
    : path_(std::move(path)), content_(std::move(content)),
      slot_(holdForSignals(path_)) {}

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
      LeaseOwner::self().str() + " claimed=" + utcTimestamp() + "\n";
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (createExclusive(path, content))
      return std::unique_ptr<Lease>(new Lease(path, content));
    Seen seen = look(path);
    if (!seen.exists)
      continue; // released meanwhile: try again
    if (!isStale(seen, staleSeconds))
      return nullptr;
    std::string lock = path + ".reclaim";
    if (!takeReclaimLock(lock, content))
      return nullptr; // another process is reclaiming it
    // Still the lease judged stale (not one a reclaimer made meanwhile)?
    bool replaced = look(path).same(seen) && ::unlink(path.c_str()) == 0 &&
                    createExclusive(path, content);
    ::unlink(lock.c_str());
    if (replaced)
      return std::unique_ptr<Lease>(new Lease(path, content));
  }
  return nullptr;
}

bool Lease::stillOurs() const { return readLeaseFile(path_) == content_; }

bool Lease::heartbeat() {
  if (!stillOurs()) {
    lost_ = true;
    return false;
  }
  return ::utimensat(AT_FDCWD, path_.c_str(), nullptr, 0) == 0;
}

Lease::~Lease() {
  if (slot_ >= 0)
    heldUsed[slot_] = false;
  if (stillOurs())
    ::unlink(path_.c_str());
}

} // namespace sstep::cohort
