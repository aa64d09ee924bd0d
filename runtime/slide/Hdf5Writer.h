//===- Hdf5Writer.h - Chunked float32 feature maps in HDF5 -------*- C++
//-*-===//
//
// Feature maps (C x H x W float32) of a whole slide are too large to hold in
// memory and are produced tile by tile; HDF5's chunked, deflate-compressed
// datasets take them region by region in any order, and h5py reads them back
// without SSTEP. Written to `path.part` and renamed when complete. Not
// thread-safe (nor is Debian's serial HDF5): one writer per thread at most.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_HDF5WRITER_H
#define SSTEP_RUNTIME_SLIDE_HDF5WRITER_H

#include <cstdint>
#include <memory>
#include <string>

namespace sstep::slide {
namespace hdf5 {
class PartFile;
} // namespace hdf5

struct Hdf5Options {
  std::string dataset = "features";
  /// Chunks are channels x chunk x chunk: one chunk per spatial tile.
  int64_t chunk = 256;
  /// zlib level 1-9; 0 stores chunks uncompressed.
  int deflateLevel = 4;
};

class Hdf5FeatureWriter {
public:
  /// Creates `path.part` holding an empty channels x height x width dataset.
  /// Throws SlideError.
  Hdf5FeatureWriter(const std::string &path, int64_t channels, int64_t height,
                    int64_t width, const Hdf5Options &options = {});
  /// Without finish(), removes the partial file.
  ~Hdf5FeatureWriter();
  Hdf5FeatureWriter(const Hdf5FeatureWriter &) = delete;
  Hdf5FeatureWriter &operator=(const Hdf5FeatureWriter &) = delete;

  /// Stores `data` (channels x h x w, C order) at rows [y, y+h), columns
  /// [x, x+w) of every channel.
  void writeRegion(int64_t y, int64_t x, int64_t h, int64_t w,
                   const float *data);
  /// A scalar attribute on the dataset (mpp, downsample, ...).
  void setAttribute(const std::string &name, double value);
  /// Closes the file and renames it into place.
  void finish();

private:
  std::string path_;
  int64_t channels_, height_, width_;
  std::unique_ptr<hdf5::PartFile> file_;
  int64_t dataset_ = -1; // hid_t, kept out of this header
};

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_HDF5WRITER_H
