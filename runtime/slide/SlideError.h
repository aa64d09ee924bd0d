//===- SlideError.h - The one error type of slide I/O -----------*- C++ -*-===//
//
// Every failure of slide I/O surfaces as a SlideError whose message names the
// file and, where they are known, the level and the tile, so that a user with
// a cohort of thousands of slides can find the broken one from the log alone.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_SLIDEERROR_H
#define SSTEP_RUNTIME_SLIDE_SLIDEERROR_H

#include <cstdint>
#include <stdexcept>
#include <string>

namespace sstep::slide {

/// Where a failure happened; level and tile are -1 when they do not apply.
struct ErrorSite {
  std::string file;
  int level = -1;
  int64_t tileCol = -1;
  int64_t tileRow = -1;
};

class SlideError : public std::runtime_error {
public:
  SlideError(const ErrorSite &site, const std::string &what)
      : std::runtime_error(format(site, what)), site_(site) {}
  SlideError(const std::string &file, const std::string &what)
      : SlideError(ErrorSite{file}, what) {}

  const ErrorSite &site() const { return site_; }

private:
  static std::string format(const ErrorSite &site, const std::string &what) {
    std::string s = site.file;
    if (site.level >= 0)
      s += ": level " + std::to_string(site.level);
    if (site.tileCol >= 0)
      s += ": tile (" + std::to_string(site.tileCol) + ", " +
           std::to_string(site.tileRow) + ")";
    return s + ": " + what;
  }

  ErrorSite site_;
};

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_SLIDEERROR_H
