//===- Hdf5Util.cpp - Scoped HDF5 ids and attributes (internal) -----------===//

#include "runtime/slide/Hdf5Util.h"
#include "runtime/slide/SlideError.h"

#include <cstdio>
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

namespace {

bool syncFile(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool ok = ::fsync(fd) == 0;
  return ::close(fd) == 0 && ok;
}

} // namespace

PartFile::PartFile(std::string path)
    : path_(std::move(path)), partPath_(path_ + ".part") {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); // errors come back as ids
  file_ = H5Fcreate(partPath_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file_ < 0)
    throw SlideError(path_, "HDF5 cannot create " + partPath_);
}

PartFile::~PartFile() {
  if (committed_)
    return;
  if (file_ >= 0)
    H5Fclose(file_);
  std::remove(partPath_.c_str());
}

void PartFile::commit() {
  if (committed_)
    return;
  bool ok = H5Fflush(file_, H5F_SCOPE_GLOBAL) >= 0;
  ok = H5Fclose(file_) >= 0 && ok;
  file_ = -1;
  if (!ok || !syncFile(partPath_))
    throw SlideError(path_, "HDF5 cannot flush " + partPath_);
  if (std::rename(partPath_.c_str(), path_.c_str()) != 0)
    throw SlideError(path_, "cannot rename " + partPath_ + " to it");
  committed_ = true;
}

} // namespace sstep::slide::hdf5
