//===- ModelRepository.h - The plans a server serves, reloaded on change -*- C++
//-*-===//
//
// Every plan (`sstep-compile` output) or inference binary in one folder is a
// model, named after its file without the ".sstep" extension. The folder is
// scanned at start and again when refresh() is called (the server polls):
// new files are loaded, changed ones (size, time or inode) reloaded, removed
// ones dropped. A file that does not load is listed UNAVAILABLE with the
// loader's message, and the rest serve on. A request holds its model by a
// shared pointer, so a reload never pulls a plan from under a running
// request.
//
// Each model runs on up to `instances` Sessions at once (Session.h), made
// on first use and kept: weights are packed once per instance, and requests
// beyond the instances wait their turn.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SERVE_MODELREPOSITORY_H
#define SSTEP_RUNTIME_SERVE_MODELREPOSITORY_H

#include "runtime/api/Session.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sstep::serve {

/// A loaded model and its sessions.
class ServedModel {
public:
  ServedModel(std::string name, std::string path, Model model,
              SessionOptions options, int instances);

  const std::string &name() const { return name_; }
  const std::string &path() const { return path_; }
  const Model &model() const { return model_; }

  /// A session to run on, for as long as the lease lives; waits while every
  /// instance is busy.
  class Lease {
  public:
    Lease(ServedModel &owner, std::unique_ptr<Session> session);
    ~Lease();
    Lease(const Lease &) = delete;
    Lease &operator=(const Lease &) = delete;
    Session &session() { return *session_; }

  private:
    ServedModel &owner_;
    std::unique_ptr<Session> session_;
  };
  Lease acquire();

private:
  std::string name_, path_;
  Model model_;
  SessionOptions options_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Session>> idle_;
  int unmade_ = 0; // instances not yet made
};

struct RepositoryEntry {
  std::string name, path;
  /// Null with `reason` when the file does not load.
  std::shared_ptr<ServedModel> model;
  std::string reason;
};

class ModelRepository {
public:
  /// Scans `folder` once. Throws RuntimeError when it is not a folder.
  ModelRepository(std::string folder, SessionOptions options, int instances);

  /// Loads what is new or changed, drops what is gone; returns how many
  /// entries changed.
  int refresh();
  /// The model called `name`, or nullopt when the folder has none; an
  /// entry without a model when it did not load.
  std::optional<RepositoryEntry> find(const std::string &name) const;
  std::vector<RepositoryEntry> entries() const;
  const std::string &folder() const { return folder_; }

private:
  struct Slot {
    RepositoryEntry entry;
    std::string stamp; // size, mtime and inode when loaded
  };
  std::string folder_;
  SessionOptions options_;
  int instances_;
  std::mutex refreshing_; // one scan at a time
  mutable std::mutex mutex_;
  std::vector<Slot> slots_; // by name
};

} // namespace sstep::serve

#endif // SSTEP_RUNTIME_SERVE_MODELREPOSITORY_H
