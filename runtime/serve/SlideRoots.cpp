//===- SlideRoots.cpp - The folders a server may read slides from ---------===//

#include "runtime/serve/SlideRoots.h"

#include <climits>
#include <cstdlib>
#include <sys/stat.h>

namespace sstep::serve {
namespace {

/// realpath(3), or "" when `path` does not resolve.
std::string real(const std::string &path) {
  char buffer[PATH_MAX];
  return ::realpath(path.c_str(), buffer) ? std::string(buffer) : "";
}

bool inside(const std::string &path, const std::string &root) {
  if (root == "/")
    return true;
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         path[root.size()] == '/';
}

} // namespace

SlideRoots::SlideRoots(const std::vector<std::string> &roots) {
  for (const std::string &root : roots) {
    std::string r = real(root);
    struct stat st {};
    if (r.empty() || ::stat(r.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      throw PathRefused("--slide-root " + root + " is not a folder");
    roots_.push_back(r);
  }
}

std::string SlideRoots::resolve(const std::string &requested) const {
  if (roots_.empty())
    throw PathRefused("this server reads no slides: it was started without "
                      "--slide-root");
  if (requested.empty() || requested.find('\0') != std::string::npos)
    throw PathRefused("the slide path is empty");
  std::vector<std::string> candidates;
  if (requested[0] == '/')
    candidates.push_back(requested);
  else
    for (const std::string &root : roots_)
      candidates.push_back(root + "/" + requested);
  bool found = false;
  for (const std::string &candidate : candidates) {
    std::string r = real(candidate);
    if (r.empty())
      continue;
    found = true;
    for (const std::string &root : roots_)
      if (inside(r, root))
        return r;
  }
  if (!found)
    throw PathRefused("slide " + requested +
                      " does not exist under the "
                      "server's slide roots");
  throw PathRefused("slide " + requested +
                    " is outside the server's slide roots");
}

} // namespace sstep::serve
