//===- TiffHandle.h - libtiff handles with their own error text -*- C++ -*-===//
//
// A TIFF* is not thread-safe and remembers one current directory, so readers
// lease a handle per task from a pool that prefers one already positioned on
// the wanted directory (switching re-reads the IFD and its offset arrays,
// megabytes on a large level). libtiff's messages are captured per handle,
// never printed, and end up in the SlideError that names the tile.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_TIFFHANDLE_H
#define SSTEP_RUNTIME_SLIDE_TIFFHANDLE_H

#include "runtime/slide/SlideError.h"

#include <tiffio.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sstep::slide {

class TiffHandle {
public:
  /// Opens `path` with libtiff `mode` ("r", "w", "w8"); throws SlideError.
  TiffHandle(const std::string &path, const char *mode);
  ~TiffHandle();
  TiffHandle(const TiffHandle &) = delete;
  TiffHandle &operator=(const TiffHandle &) = delete;

  TIFF *get() const { return tiff_; }
  /// libtiff's error messages since the last call, then cleared.
  std::string takeErrors();
  /// libtiff's warnings so far (the first 16), never printed.
  const std::vector<std::string> &warnings() const { return warnings_; }
  /// Makes `dir` of the main chain current; throws SlideError naming `site`.
  void setDirectory(tdir_t dir, const ErrorSite &site);
  /// Makes the IFD at file offset `offset` current, in the main chain or a
  /// SubIFD (OME-TIFF levels); throws SlideError naming `site`.
  void setDirectoryAt(uint64_t offset, const ErrorSite &site);

private:
  TIFF *tiff_ = nullptr;
  std::string errors_;
  std::vector<std::string> warnings_;
};

class TiffHandlePool {
public:
  explicit TiffHandlePool(std::string path, std::size_t keep)
      : path_(std::move(path)), keep_(keep) {}

  /// A handle on the IFD at `offset`, returned to the pool when the lease
  /// ends.
  class Lease {
  public:
    Lease(TiffHandlePool &pool, std::unique_ptr<TiffHandle> handle)
        : pool_(pool), handle_(std::move(handle)) {}
    ~Lease() { pool_.release(std::move(handle_)); }
    Lease(const Lease &) = delete;
    Lease &operator=(const Lease &) = delete;
    TiffHandle &operator*() const { return *handle_; }
    TiffHandle *operator->() const { return handle_.get(); }

  private:
    TiffHandlePool &pool_;
    std::unique_ptr<TiffHandle> handle_;
  };

  Lease acquire(uint64_t offset, const ErrorSite &site);

private:
  void release(std::unique_ptr<TiffHandle> handle);

  std::string path_;
  std::size_t keep_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<TiffHandle>> free_;
};

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_TIFFHANDLE_H
