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

/// Makes the closed file at `path` durable (fsync), so that a run may delete
/// what it would resume from once the output is renamed; false on failure.
bool syncFile(const std::string &path);

} // namespace sstep::slide::hdf5

#endif // SSTEP_RUNTIME_SLIDE_HDF5UTIL_H
