//===- Paths.h - File names and sizes ---------------------------*- C++ -*-===//

#ifndef SSTEP_RUNTIME_CORE_PATHS_H
#define SSTEP_RUNTIME_CORE_PATHS_H

#include <cstdint>
#include <string>
#include <sys/stat.h>

namespace sstep {

/// Whether `path` ends with `suffix` (".npy"): outputs and inputs are told
/// apart by their extension, case included.
inline bool endsWith(const std::string &path, const std::string &suffix) {
  return path.size() >= suffix.size() &&
         path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The size of the file at `path`, -1 when there is none.
inline int64_t fileSize(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? int64_t(st.st_size) : -1;
}

/// The folder of the file at `path`: "dir/out.npy" -> "dir", "out.npy" ->
/// ".", "/out.npy" -> "/".
inline std::string folderOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_PATHS_H
