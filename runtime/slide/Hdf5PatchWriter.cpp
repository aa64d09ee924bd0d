//===- Hdf5PatchWriter.cpp - Per-patch model outputs in HDF5 --------------===//

#include "runtime/slide/Hdf5PatchWriter.h"
#include "runtime/slide/Hdf5Util.h"
#include "runtime/slide/SlideError.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace sstep::slide {

using hdf5::Id;

namespace {

/// Rows per chunk of /features: about 1 MiB of float32, at least one row.
hsize_t chunkRows(int64_t rowValues, int64_t rows) {
  int64_t chunk = std::max<int64_t>(1, (int64_t(1) << 18) / rowValues);
  return hsize_t(std::max<int64_t>(1, std::min(chunk, rows)));
}

/// A float32 dataset of `dims`, chunked and compressed when it has rows.
hid_t createFloats(hid_t parent, const char *name,
                   const std::vector<hsize_t> &dims, hsize_t rowsPerChunk) {
  Id space{H5Screate_simple(int(dims.size()), dims.data(), nullptr), H5Sclose};
  Id props{hdf5::untimedProperties(H5P_DATASET_CREATE), H5Pclose};
  if (!dims.empty() && dims[0] > 0) {
    std::vector<hsize_t> chunk = dims;
    chunk[0] = rowsPerChunk;
    H5Pset_chunk(props.id, int(chunk.size()), chunk.data());
    H5Pset_shuffle(props.id); // floats deflate much better byte-shuffled
    H5Pset_deflate(props.id, 4);
  }
  return H5Dcreate2(parent, name, H5T_IEEE_F32LE, space.id, H5P_DEFAULT,
                    props.id, H5P_DEFAULT);
}

bool writeAll(hid_t dataset, hid_t memType, const void *data) {
  return H5Dwrite(dataset, memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
}

/// The run's description, on the root and on /coords.
bool describe(hid_t object, const PatchTable &t) {
  bool ok = hdf5::setInteger(object, "patch_level", t.level) &&
            hdf5::setInteger(object, "patch_size", t.size) &&
            hdf5::setInteger(object, "count", int64_t(t.coords.size()));
  for (const auto &[name, value] : t.integers)
    ok = ok && hdf5::setInteger(object, name, value);
  for (const auto &[name, value] : t.numbers)
    ok = ok && hdf5::setNumber(object, name, value);
  for (const auto &[name, value] : t.texts)
    ok = ok && hdf5::setText(object, name, value);
  return ok;
}

} // namespace

PatchLayout parsePatchLayout(const std::string &text) {
  if (text == "table")
    return PatchLayout::Table;
  if (text == "groups")
    return PatchLayout::Groups;
  throw std::invalid_argument("expected table or groups, got '" + text + "'");
}

Hdf5PatchWriter::Hdf5PatchWriter(const std::string &path,
                                 const PatchTable &table)
    : path_(path), table_(table) {
  for (int64_t d : table.rowShape) {
    if (d <= 0)
      throw SlideError(path, "bad patch output shape");
    rowValues_ *= d;
  }
  const int64_t n = int64_t(table.coords.size());
  if (table.levelCoords.size() != table.coords.size() ||
      (table.masked && int64_t(table.tissue.size()) != n) ||
      (!table.masked && !table.tissue.empty()))
    throw SlideError(path, "patch coordinates and tissue shares disagree");
  file_ = std::make_unique<hdf5::PartFile>(path);
  const hid_t file = file_->id();
  // A throw removes the partial file (the datasets opened here close first).
  auto fail = [&](const std::string &what) {
    return SlideError(path, "HDF5 cannot write " + what);
  };

  std::vector<int64_t> coords;
  coords.reserve(size_t(2 * n));
  for (const auto &c : table.coords)
    coords.insert(coords.end(), c.begin(), c.end());
  hsize_t coordDims[2] = {hsize_t(n), 2};
  Id coordSpace{H5Screate_simple(2, coordDims, nullptr), H5Sclose};
  Id coordProps{hdf5::untimedProperties(H5P_DATASET_CREATE), H5Pclose};
  Id coordSet{H5Dcreate2(file, "coords", H5T_STD_I64LE, coordSpace.id,
                         H5P_DEFAULT, coordProps.id, H5P_DEFAULT),
              H5Dclose};
  if (coordSet.id < 0 ||
      (n > 0 && !writeAll(coordSet.id, H5T_NATIVE_INT64, coords.data())))
    throw fail("dataset \"coords\"");
  if (!describe(file, table) || !describe(coordSet.id, table))
    throw fail("the run's attributes");

  if (table.masked) {
    Id tissue{createFloats(file, "tissue", {hsize_t(n)}, chunkRows(1, n)),
              H5Dclose};
    if (tissue.id < 0 ||
        (n > 0 && !writeAll(tissue.id, H5T_NATIVE_FLOAT, table.tissue.data())))
      throw fail("dataset \"tissue\"");
  }

  if (table.layout == PatchLayout::Table) {
    std::vector<hsize_t> dims{hsize_t(n)};
    for (int64_t d : table.rowShape)
      dims.push_back(hsize_t(d));
    features_ = createFloats(file, "features", dims, chunkRows(rowValues_, n));
    if (features_ < 0)
      throw fail("dataset \"features\"");
  } else {
    Id props{hdf5::untimedProperties(H5P_GROUP_CREATE), H5Pclose};
    Id patches{H5Gcreate2(file, "patches", H5P_DEFAULT, props.id, H5P_DEFAULT),
               H5Gclose};
    if (patches.id < 0)
      throw fail("group \"patches\"");
  }
}

// The dataset closes before the file (which an unfinished run removes).
Hdf5PatchWriter::~Hdf5PatchWriter() {
  if (features_ >= 0)
    H5Dclose(features_);
}

void Hdf5PatchWriter::writeRows(int64_t first, int64_t count,
                                const float *data) {
  const int64_t n = int64_t(table_.coords.size());
  if (first < 0 || count < 0 || first + count > n)
    throw SlideError(path_, "patch rows " + std::to_string(first) + ".." +
                                std::to_string(first + count) +
                                " are outside the table of " +
                                std::to_string(n));
  if (count == 0)
    return;
  if (table_.layout == PatchLayout::Table) {
    std::vector<hsize_t> start(table_.rowShape.size() + 1, 0),
        extent{hsize_t(count)};
    start[0] = hsize_t(first);
    for (int64_t d : table_.rowShape)
      extent.push_back(hsize_t(d));
    Id fileSpace{H5Dget_space(features_), H5Sclose};
    H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, start.data(), nullptr,
                        extent.data(), nullptr);
    Id memSpace{H5Screate_simple(int(extent.size()), extent.data(), nullptr),
                H5Sclose};
    if (H5Dwrite(features_, H5T_NATIVE_FLOAT, memSpace.id, fileSpace.id,
                 H5P_DEFAULT, data) < 0)
      throw SlideError(path_, "HDF5 write of patch rows " +
                                  std::to_string(first) + ".." +
                                  std::to_string(first + count) + " failed");
    return;
  }
  std::vector<hsize_t> dims(table_.rowShape.begin(), table_.rowShape.end());
  Id groupProps{hdf5::untimedProperties(H5P_GROUP_CREATE), H5Pclose};
  // Names sort as the rows do: as wide as the largest index, 6 at least.
  const int width =
      std::max<int>(6, int(std::to_string(table_.coords.size() - 1).size()));
  for (int64_t i = first; i < first + count; ++i) {
    char name[48];
    std::snprintf(name, sizeof name, "patches/%0*lld", width, (long long)i);
    Id group{
        H5Gcreate2(file_->id(), name, H5P_DEFAULT, groupProps.id, H5P_DEFAULT),
        H5Gclose};
    const auto &xy = table_.coords[size_t(i)];
    const auto &lxy = table_.levelCoords[size_t(i)];
    bool ok = group.id >= 0 && hdf5::setInteger(group.id, "x", xy[0]) &&
              hdf5::setInteger(group.id, "y", xy[1]) &&
              hdf5::setInteger(group.id, "level_x", lxy[0]) &&
              hdf5::setInteger(group.id, "level_y", lxy[1]) &&
              hdf5::setInteger(group.id, "level", table_.level) &&
              hdf5::setInteger(group.id, "size", table_.size);
    if (ok && table_.masked)
      ok = hdf5::setNumber(group.id, "tissue", table_.tissue[size_t(i)]);
    if (ok) {
      // Rows are small: stored contiguous, uncompressed.
      Id space{H5Screate_simple(int(dims.size()), dims.data(), nullptr),
               H5Sclose};
      Id props{hdf5::untimedProperties(H5P_DATASET_CREATE), H5Pclose};
      Id set{H5Dcreate2(group.id, "features", H5T_IEEE_F32LE, space.id,
                        H5P_DEFAULT, props.id, H5P_DEFAULT),
             H5Dclose};
      ok = set.id >= 0 &&
           writeAll(set.id, H5T_NATIVE_FLOAT, data + (i - first) * rowValues_);
    }
    if (!ok)
      throw SlideError(path_, std::string("HDF5 cannot write group ") + name);
  }
}

void Hdf5PatchWriter::finish() {
  if (features_ >= 0)
    H5Dclose(features_);
  features_ = -1;
  file_->commit();
}

} // namespace sstep::slide
