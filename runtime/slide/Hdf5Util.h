//===- Hdf5Util.h - Scoped HDF5 ids and attributes (internal) ---*- C++ -*-===//
//
// HDF5's C API hands out integer ids that must each be closed by their own
// function; a scoped id closes them on every path, errors included. Shared
// by the slide writers only; the header includes hdf5.h, so it stays out of
// public headers.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_HDF5UTIL_H
#define SSTEP_RUNTIME_SLIDE_HDF5UTIL_H

#include <hdf5.h>

#include <cstdint>
#include <string>

namespace sstep::slide::hdf5 {

/// Closes an HDF5 id of any kind when it leaves scope.
struct Id {
  hid_t id;
  herr_t (*closer)(hid_t);
  ~Id() {
    if (id >= 0)
      closer(id);
  }
  Id(hid_t id, herr_t (*closer)(hid_t)) : id(id), closer(closer) {}
  Id(const Id &) = delete;
  Id &operator=(const Id &) = delete;
};

/// Writes scalar attribute `name` on object `object`; false on failure.
bool setNumber(hid_t object, const std::string &name, double value);
bool setInteger(hid_t object, const std::string &name, int64_t value);
bool setText(hid_t object, const std::string &name, const std::string &value);

/// Object creation properties without modification times: the same run
/// writes the same bytes, and a resumed run those of one never interrupted.
hid_t untimedProperties(hid_t propertyClass);

/// An HDF5 file written as `path.part` and renamed to `path` when complete,
/// so that an output file exists only whole; removed when abandoned.
class PartFile {
public:
  /// Creates `path.part`. Throws SlideError naming `path`.
  explicit PartFile(std::string path);
  /// Without commit(), closes and removes the partial file.
  ~PartFile();
  PartFile(const PartFile &) = delete;
  PartFile &operator=(const PartFile &) = delete;

  hid_t id() const { return file_; }
  const std::string &path() const { return path_; }
  /// Flushes, closes, makes it durable (fsync: a run may then delete what
  /// it would resume from) and renames it into place. Close every dataset
  /// first: an open one keeps the file open. Throws SlideError.
  void commit();

private:
  std::string path_, partPath_;
  hid_t file_ = -1;
  bool committed_ = false;
};

} // namespace sstep::slide::hdf5

#endif // SSTEP_RUNTIME_SLIDE_HDF5UTIL_H
