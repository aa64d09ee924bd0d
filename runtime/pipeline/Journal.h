//===- Journal.h - Tiles of an interrupted run that are done ----*- C++ -*-===//
//
// A slide run takes hours; a crash or a pre-empted node must not cost the
// tiles already written. The journal beside the output lists the tiles whose
// blocks are durably in the spill file (SpillFile), one index per line after
// a header carrying the fingerprint of the command. A rerun of the same
// command skips those tiles; a different command (another model, slide,
// level, tile edge or option) finds another fingerprint and starts afresh.
// A line cut short by a kill is ignored.
//
// Example: "sstep-journal 1 3f2a...c1\n0\n1\n2\n" after three tiles.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PIPELINE_JOURNAL_H
#define SSTEP_RUNTIME_PIPELINE_JOURNAL_H

#include "runtime/exec/Fingerprint.h"

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace sstep {
struct Program;
}

namespace sstep::pipeline {

class Journal {
public:
  enum class Start {
    Fresh,    ///< there was no journal
    Resumed,  ///< a journal of the same command: its tiles are done
    Mismatch, ///< a journal of another command (or unreadable): discarded
  };

  /// Opens `path` for a command with `fingerprint` (no whitespace), keeping
  /// the tiles of a journal with the same fingerprint, else starting a new
  /// one. Throws RuntimeError naming the file.
  Journal(std::string path, const std::string &fingerprint);
  ~Journal();
  Journal(const Journal &) = delete;
  Journal &operator=(const Journal &) = delete;

  /// Whether `path` is a journal of a command with `fingerprint`, read
  /// without opening it for writing.
  static bool holds(const std::string &path, const std::string &fingerprint);

  Start start() const { return start_; }
  const std::string &path() const { return path_; }
  bool done(int64_t tile) const { return done_.count(tile) != 0; }
  int64_t doneCount() const { return int64_t(done_.size()); }

  /// Appends `tiles` and makes them durable. Only call once their blocks
  /// are durable.
  void record(const std::vector<int64_t> &tiles);
  /// Closes and deletes the journal (the output is complete).
  void remove();

private:
  std::string path_;
  Start start_ = Start::Fresh;
  std::unordered_set<int64_t> done_;
  int fd_ = -1;
};

/// The fingerprints journals and checkpoints carry (exec/Fingerprint.h).
using exec::addFile;
using exec::addProgram;
using exec::Fingerprint;

} // namespace sstep::pipeline

#endif // SSTEP_RUNTIME_PIPELINE_JOURNAL_H
