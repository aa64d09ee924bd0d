//===- Backends.h - The backends a Model can run on ------------*- C++ -*-===//

#ifndef SSTEP_RUNTIME_API_BACKENDS_H
#define SSTEP_RUNTIME_API_BACKENDS_H

#include "runtime/exec/Backend.h"

#include <cstdint>
#include <memory>
#include <string>

namespace sstep {

/// The names --backend accepts, comma-separated, for messages.
std::string backendNames();

/// Whether this build has a backend called `name`. Asks without making
/// one: making one sets process-wide thread counts.
bool hasBackend(const std::string &name);

/// Whether backend `name` chains tiles (exec::Backend::keepsRows), so the
/// planner gives it short wide tiles. Asks without making one.
bool backendKeepsRows(const std::string &name);

/// The backend called `name`, using `threads` worker threads (0: all
/// cores) and, for a GPU backend, `deviceMemory` bytes of device memory (0:
/// half of what is free); null when this build has none of that name.
std::unique_ptr<exec::Backend> makeBackend(const std::string &name, int threads,
                                           int64_t deviceMemory = 0);

/// makeBackend's backend, or a RuntimeError naming the backends there are
/// (or saying why the GPU backend cannot start).
std::unique_ptr<exec::Backend>
requireBackend(const std::string &name, int threads, int64_t deviceMemory = 0);

} // namespace sstep

#endif // SSTEP_RUNTIME_API_BACKENDS_H
