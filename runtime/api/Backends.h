//===- Backends.h - The backends a Model can run on ------------*- C++ -*-===//

#ifndef SSTEP_RUNTIME_API_BACKENDS_H
#define SSTEP_RUNTIME_API_BACKENDS_H

#include "runtime/exec/Backend.h"

#include <memory>
#include <string>

namespace sstep {

/// The names --backend accepts, comma-separated, for messages.
std::string backendNames();

/// Whether this build has a backend called `name`. Asks without making
/// one: making one sets process-wide thread counts.
bool hasBackend(const std::string &name);

/// The backend called `name`, using `threads` worker threads (0: all
/// cores); null when this build has none of that name.
std::unique_ptr<exec::Backend> makeBackend(const std::string &name,
                                           int threads);

/// makeBackend's backend, or a RuntimeError naming the backends there are.
std::unique_ptr<exec::Backend> requireBackend(const std::string &name,
                                              int threads);

} // namespace sstep

#endif // SSTEP_RUNTIME_API_BACKENDS_H
