//===- TiffHandle.cpp - libtiff handles with their own error text ---------===//

#include "runtime/slide/TiffHandle.h"

#include <cstdarg>
#include <cstdio>

namespace sstep::slide {
namespace {

int appendError(TIFF *, void *userData, const char *module, const char *fmt,
                va_list args) {
  auto *errors = static_cast<std::string *>(userData);
  char text[1024];
  std::vsnprintf(text, sizeof(text), fmt, args);
  if (!errors->empty())
    *errors += "; ";
  *errors += text;
  return 1; // handled: keep libtiff from printing it
}

// Vendor files carry private tags libtiff warns about; none of it is an
// error, but callers may look (see SlideReader::open), so the first few are
// kept.
int keepWarning(TIFF *, void *userData, const char *, const char *fmt,
                va_list args) {
  auto *warnings = static_cast<std::vector<std::string> *>(userData);
  if (warnings->size() < 16) {
    char text[512];
    std::vsnprintf(text, sizeof(text), fmt, args);
    warnings->push_back(text);
  }
  return 1;
}

} // namespace

TiffHandle::TiffHandle(const std::string &path, const char *mode) {
  TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetErrorHandlerExtR(opts, appendError, &errors_);
  TIFFOpenOptionsSetWarningHandlerExtR(opts, keepWarning, &warnings_);
  // Reads go through read(), not a memory map of the file: a mapped slide's
  // pages count in the resident set as they are read (the whole slide by
  // the end of a run, 570 MB of a 100,000² one, which a cluster's memory
  // limit sees), and a file truncated under a mapping kills the process
  // with SIGBUS where read() returns an error naming the tile.
  std::string how = std::string(mode) == "r" ? "rm" : mode;
  tiff_ = TIFFOpenExt(path.c_str(), how.c_str(), opts);
  TIFFOpenOptionsFree(opts);
  if (!tiff_)
    throw SlideError(path, "libtiff cannot open it: " +
                               (errors_.empty() ? "unknown error" : errors_));
}

TiffHandle::~TiffHandle() {
  if (tiff_)
    TIFFClose(tiff_);
}

std::string TiffHandle::takeErrors() {
  std::string e = errors_.empty() ? "libtiff gave no reason" : errors_;
  errors_.clear();
  return e;
}

void TiffHandle::setDirectory(tdir_t dir, const ErrorSite &site) {
  if (TIFFCurrentDirectory(tiff_) == dir)
    return;
  if (!TIFFSetDirectory(tiff_, dir))
    throw SlideError(site, "cannot read TIFF directory " + std::to_string(dir) +
                               ": " + takeErrors());
}

void TiffHandle::setDirectoryAt(uint64_t offset, const ErrorSite &site) {
  if (TIFFCurrentDirOffset(tiff_) == offset)
    return;
  if (!TIFFSetSubDirectory(tiff_, offset))
    throw SlideError(site, "cannot read the TIFF directory at offset " +
                               std::to_string(offset) + ": " + takeErrors());
}

TiffHandlePool::Lease TiffHandlePool::acquire(uint64_t offset,
                                              const ErrorSite &site) {
  std::unique_ptr<TiffHandle> handle;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = free_.begin(); it != free_.end(); ++it)
      if (TIFFCurrentDirOffset((*it)->get()) == offset) {
        handle = std::move(*it);
        free_.erase(it);
        break;
      }
    if (!handle && !free_.empty()) {
      handle = std::move(free_.back());
      free_.pop_back();
    }
  }
  if (!handle)
    handle = std::make_unique<TiffHandle>(path_, "r");
  handle->setDirectoryAt(offset, site);
  return Lease(*this, std::move(handle));
}

void TiffHandlePool::release(std::unique_ptr<TiffHandle> handle) {
  if (!handle)
    return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (free_.size() < keep_)
    free_.push_back(std::move(handle));
}

} // namespace sstep::slide
