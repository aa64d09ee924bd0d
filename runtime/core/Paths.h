//===- Paths.h - File names: what their extension says -----------*- C++
//-*-===//

#ifndef SSTEP_RUNTIME_CORE_PATHS_H
#define SSTEP_RUNTIME_CORE_PATHS_H

#include <string>

namespace sstep {

/// Whether `path` ends with `suffix` (".npy"): outputs and inputs are told
/// apart by their extension, case included.
inline bool endsWith(const std::string &path, const std::string &suffix) {
  return path.size() >= suffix.size() &&
         path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_PATHS_H
