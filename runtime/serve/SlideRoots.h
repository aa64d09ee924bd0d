//===- SlideRoots.h - The folders a server may read slides from --*- C++
//-*-===//
//
// A slide job names its slide by a path the client chose; the server reads
// only files under the roots it was started with (--slide-root). A path is
// resolved as the kernel would open it, symbolic links and ".." included,
// and must then lie inside a root's resolved folder:
//
//   roots {/data/slides}
//   "case1/a.svs"              -> /data/slides/case1/a.svs
//   "/data/slides/case1/a.svs" -> the same
//   "../etc/passwd"            -> refused (outside every root)
//   "link.svs" -> /tmp/x.svs   -> refused (the link leads out)
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SERVE_SLIDEROOTS_H
#define SSTEP_RUNTIME_SERVE_SLIDEROOTS_H

#include <stdexcept>
#include <string>
#include <vector>

namespace sstep::serve {

/// A path outside every root, or one that does not exist.
struct PathRefused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class SlideRoots {
public:
  /// Throws PathRefused naming a root that is not a readable folder.
  explicit SlideRoots(const std::vector<std::string> &roots);

  bool empty() const { return roots_.empty(); }
  const std::vector<std::string> &roots() const { return roots_; }

  /// The real path of `requested`: absolute, or relative to the first root
  /// that has it. Throws PathRefused when it is missing or resolves outside
  /// every root.
  std::string resolve(const std::string &requested) const;

private:
  std::vector<std::string> roots_; // resolved, without a trailing slash
};

} // namespace sstep::serve

#endif // SSTEP_RUNTIME_SERVE_SLIDEROOTS_H
