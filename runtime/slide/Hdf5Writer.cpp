//===- Hdf5Writer.cpp - Chunked float32 feature maps in HDF5 --------------===//

#include "runtime/slide/Hdf5Writer.h"
#include "runtime/slide/Hdf5Util.h"
#include "runtime/slide/SlideError.h"

#include <algorithm>

namespace sstep::slide {

using hdf5::Id;

Hdf5FeatureWriter::Hdf5FeatureWriter(const std::string &path, int64_t channels,
                                     int64_t height, int64_t width,
                                     const Hdf5Options &options)
    : path_(path), channels_(channels), height_(height), width_(width) {
  if (channels <= 0 || height <= 0 || width <= 0 || options.chunk <= 0)
    throw SlideError(path, "bad feature map shape " + std::to_string(channels) +
                               "x" + std::to_string(height) + "x" +
                               std::to_string(width));
  file_ = std::make_unique<hdf5::PartFile>(path);
  hsize_t dims[3] = {hsize_t(channels), hsize_t(height), hsize_t(width)};
  hsize_t chunk[3] = {hsize_t(channels),
                      hsize_t(std::min(options.chunk, height)),
                      hsize_t(std::min(options.chunk, width))};
  Id space{H5Screate_simple(3, dims, nullptr), H5Sclose};
  Id props{hdf5::untimedProperties(H5P_DATASET_CREATE), H5Pclose};
  H5Pset_chunk(props.id, 3, chunk);
  if (options.deflateLevel > 0) {
    H5Pset_shuffle(props.id); // byte shuffle: floats deflate much better
    H5Pset_deflate(props.id, unsigned(options.deflateLevel));
  }
  dataset_ = H5Dcreate2(file_->id(), options.dataset.c_str(), H5T_IEEE_F32LE,
                        space.id, H5P_DEFAULT, props.id, H5P_DEFAULT);
  if (dataset_ < 0)
    throw SlideError(path,
                     "HDF5 cannot create dataset \"" + options.dataset + "\"");
}

// The dataset closes before the file (which an unfinished run removes).
Hdf5FeatureWriter::~Hdf5FeatureWriter() {
  if (dataset_ >= 0)
    H5Dclose(dataset_);
}

void Hdf5FeatureWriter::writeRegion(int64_t y, int64_t x, int64_t h, int64_t w,
                                    const float *data) {
  if (y < 0 || x < 0 || h <= 0 || w <= 0 || y + h > height_ || x + w > width_ ||
      dataset_ < 0)
    throw SlideError(path_, "region rows " + std::to_string(y) + ".." +
                                std::to_string(y + h) + ", columns " +
                                std::to_string(x) + ".." +
                                std::to_string(x + w) +
                                " is outside the feature map");
  hsize_t start[3] = {0, hsize_t(y), hsize_t(x)};
  hsize_t count[3] = {hsize_t(channels_), hsize_t(h), hsize_t(w)};
  Id fileSpace{H5Dget_space(dataset_), H5Sclose};
  H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, start, nullptr, count,
                      nullptr);
  Id memSpace{H5Screate_simple(3, count, nullptr), H5Sclose};
  if (H5Dwrite(dataset_, H5T_NATIVE_FLOAT, memSpace.id, fileSpace.id,
               H5P_DEFAULT, data) < 0)
    throw SlideError(path_, "HDF5 write of rows " + std::to_string(y) +
                                ".. columns " + std::to_string(x) +
                                ".. failed");
}

void Hdf5FeatureWriter::setAttribute(const std::string &name, double value) {
  if (!hdf5::setNumber(dataset_, name, value))
    throw SlideError(path_, "HDF5 cannot write attribute \"" + name + "\"");
}

void Hdf5FeatureWriter::finish() {
  if (dataset_ >= 0)
    H5Dclose(dataset_);
  dataset_ = -1;
  file_->commit();
}

} // namespace sstep::slide
