//===- Hdf5PatchWriter.h - Per-patch model outputs in HDF5 ------*- C++ -*-===//
//
// Patch pipelines (multiple-instance learning, CLAM-style feature bags) keep
// one model output per patch of a slide with the patch's coordinates. Two
// layouts, both readable by h5py:
//
//   table:  /features  float32 [N, ...row]  rows in patch order, chunked
//           /coords    int64   [N, 2]       level-0 x, y of each patch
//           /tissue    float32 [N]          tissue share (when masked)
//   groups: /coords    as above (an index)
//           /patches/000000 ... one group per patch (names as wide as the
//           largest index needs, 6 digits at least), with attributes x, y
//           (level 0), level_x, level_y, level, size (and tissue), holding
//           its row as dataset "features"
//
// The run's description (level, patch size, stride, downsample, mpp, ...)
// goes on the root and on /coords as attributes, where CLAM looks for
// patch_level and patch_size. Written to `path.part`, renamed when complete.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_HDF5PATCHWRITER_H
#define SSTEP_RUNTIME_SLIDE_HDF5PATCHWRITER_H

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sstep::slide {
namespace hdf5 {
class PartFile;
} // namespace hdf5

enum class PatchLayout { Table, Groups };

/// "table" or "groups"; throws std::invalid_argument otherwise.
PatchLayout parsePatchLayout(const std::string &text);

struct PatchTable {
  PatchLayout layout = PatchLayout::Table;
  /// One patch's output shape (the rows' shape).
  std::vector<int64_t> rowShape;
  /// Per patch: level-0 x, y; level x, y.
  std::vector<std::array<int64_t, 2>> coords, levelCoords;
  int level = 0;
  /// Patch edge in level pixels.
  int64_t size = 0;
  /// Whether a tissue mask chose the patches, and each one's share.
  bool masked = false;
  std::vector<float> tissue;
  std::map<std::string, int64_t> integers;
  std::map<std::string, double> numbers;
  std::map<std::string, std::string> texts;
};

class Hdf5PatchWriter {
public:
  /// Creates `path.part` with every dataset and attribute but the rows.
  /// Throws SlideError naming the file.
  Hdf5PatchWriter(const std::string &path, const PatchTable &table);
  /// Without finish(), removes the partial file.
  ~Hdf5PatchWriter();
  Hdf5PatchWriter(const Hdf5PatchWriter &) = delete;
  Hdf5PatchWriter &operator=(const Hdf5PatchWriter &) = delete;

  /// Stores rows [first, first + count) from `data` (count rows, C order).
  void writeRows(int64_t first, int64_t count, const float *data);
  /// Closes the file and renames it into place.
  void finish();

private:
  std::string path_;
  const PatchTable &table_;
  int64_t rowValues_ = 1;
  std::unique_ptr<hdf5::PartFile> file_;
  int64_t features_ = -1; // hid_t, kept out of this header
};

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_HDF5PATCHWRITER_H
