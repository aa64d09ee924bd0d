//===- Lease.h - A claim on one slide of a cohort, in a shared folder -----===//
//
// Processes that share nothing but a file system (the tasks of a Slurm job
// array, several runs on one workstation) divide a cohort by claiming its
// slides. A claim is a lease file created with O_CREAT|O_EXCL, which is
// atomic on local file systems, NFS v3+, Lustre and GPFS, holding its owner:
//
//   host=node17 pid=4242 start=991823 claimed=2026-12-06T10:00:00Z
//
// The owner touches the file while it works (heartbeat). A lease is stale
// when its owner is gone: on the same host, the pid no longer runs that
// process (the start time in clock ticks tells a reused pid); on any host,
// the file was not touched for `staleSeconds`. A stale lease is reclaimed
// under a second exclusive file, `ID.reclaim`, so that of several processes
// judging it stale at once one replaces it, and only if it is still the
// file judged (same inode, times and text). An owner whose lease was taken
// over (suspended past the stale time) sees it at its next heartbeat, and
// gives the slide up.
//
// A process ended by SIGTERM, SIGINT or SIGHUP (a Slurm time limit, scancel,
// Ctrl-C) releases its leases on the way out, where no other handler is
// installed; one killed outright leaves them to go stale.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_COHORT_LEASE_H
#define SSTEP_RUNTIME_COHORT_LEASE_H

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace sstep::cohort {

/// Who holds a lease.
struct LeaseOwner {
  std::string host;
  int64_t pid = 0;
  /// The process's start time in clock ticks since boot (/proc/PID/stat).
  int64_t start = 0;

  static LeaseOwner self();
  std::string str() const;
  /// Parses str()'s form; false when `text` is not one.
  static bool parse(const std::string &text, LeaseOwner *owner);
  /// Whether this owner is a process that still runs (only knowable on
  /// its own host: elsewhere, true).
  bool alive() const;
};

class Lease {
public:
  /// Takes the lease at `path`, reclaiming it when stale (`staleSeconds`
  /// without a heartbeat, or a dead owner on this host). Null when a live
  /// owner holds it. Throws RuntimeError naming the file when the folder
  /// cannot be written.
  static std::unique_ptr<Lease> claim(const std::string &path,
                                      double staleSeconds);
  /// Releases the lease (removes the file if it is still ours).
  ~Lease();
  Lease(const Lease &) = delete;
  Lease &operator=(const Lease &) = delete;

  /// Touches the file so that other hosts see the owner alive. False, and
  /// lost() from then on, when the file is no longer ours (another process
  /// judged it stale).
  bool heartbeat();
  bool lost() const { return lost_; }
  const std::string &path() const { return path_; }

private:
  Lease(std::string path, std::string content);
  bool stillOurs() const;

  std::string path_, content_;
  std::atomic<bool> lost_{false};
  /// Where the signal handler finds the path (-1: not registered).
  int slot_ = -1;
};

/// The text of the lease at `path` ("" when there is none).
std::string readLeaseFile(const std::string &path);

} // namespace sstep::cohort

#endif // SSTEP_RUNTIME_COHORT_LEASE_H
