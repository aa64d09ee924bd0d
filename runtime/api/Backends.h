//===- Backends.h - The backends a Model can run on ------------*- C++ -*-===//
//
// One registry of the backends this build has: each entry says what the
// planner needs to know about the backend (whether it chains tiles, its
// TileModel) without making one, which would start its threads or a GPU
// context, and how to make one. Tools, the C++ API and the bindings ask the
// registry, never a name.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_API_BACKENDS_H
#define SSTEP_RUNTIME_API_BACKENDS_H

#include "runtime/exec/Backend.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sstep {

struct BackendInfo {
  std::string name;
  /// What it is, for --help and messages.
  std::string summary;
  /// Whether it chains tiles (exec::Backend::keepsRows), so the planner
  /// gives it short wide tiles.
  bool keepsRows = false;
  /// What it holds per tile, for the planner (exec::Backend's TileModel).
  const plan::TileModel &(*model)() = nullptr;
  /// A backend using `threads` worker threads (0: all cores) and, for a GPU
  /// backend, `deviceMemory` bytes of device memory (0: half of what is
  /// free). Throws RuntimeError when it cannot start.
  std::unique_ptr<exec::Backend> (*make)(int threads,
                                         int64_t deviceMemory) = nullptr;
};

/// The backends of this build, the oracle ("reference") first.
const std::vector<BackendInfo> &backends();

/// The backend called `name`, or null when this build has none.
const BackendInfo *findBackend(const std::string &name);

/// The backend called `name`, or a RuntimeError naming those there are.
const BackendInfo &backendInfo(const std::string &name);

/// The names --backend accepts, comma-separated, for messages.
std::string backendNames();

/// Whether this build has a backend called `name`.
bool hasBackend(const std::string &name);

/// backendInfo(name).make(threads, deviceMemory): the backend, or a
/// RuntimeError naming the backends there are (or saying why the GPU
/// backend cannot start).
std::unique_ptr<exec::Backend>
requireBackend(const std::string &name, int threads, int64_t deviceMemory = 0);

} // namespace sstep

#endif // SSTEP_RUNTIME_API_BACKENDS_H
