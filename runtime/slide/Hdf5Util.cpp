//===- Hdf5Util.cpp - Scoped HDF5 ids and attributes (internal) -----------===//

#include "runtime/slide/Hdf5Util.h"

#include <fcntl.h>
#include <unistd.h>

namespace sstep::slide::hdf5 {
namespace {

bool setScalar(hid_t object, const std::string &name, hid_t fileType,
               hid_t memType, const void *value) {
  Id space{H5Screate(H5S_SCALAR), H5Sclose};
  Id attr{H5Acreate2(object, name.c_str(), fileType, space.id, H5P_DEFAULT,
                     H5P_DEFAULT),
          H5Aclose};
  return attr.id >= 0 && H5Awrite(attr.id, memType, value) >= 0;
}

} // namespace

bool setNumber(hid_t object, const std::string &name, double value) {
  return setScalar(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

bool setInteger(hid_t object, const std::string &name, int64_t value) {
  return setScalar(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

bool setText(hid_t object, const std::string &name, const std::string &value) {
  // A variable-length UTF-8 string: h5py reads it as str, not bytes.
  Id type{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(type.id, H5T_VARIABLE);
  H5Tset_cset(type.id, H5T_CSET_UTF8);
  const char *text = value.c_str();
  return setScalar(object, name, type.id, type.id, &text);
}

hid_t untimedProperties(hid_t propertyClass) {
  hid_t props = H5Pcreate(propertyClass);
  H5Pset_obj_track_times(props, false);
  return props;
}

bool syncFile(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool ok = ::fsync(fd) == 0;
  return ::close(fd) == 0 && ok;
}

} // namespace sstep::slide::hdf5
