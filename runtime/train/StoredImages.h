//===- StoredImages.h - Whole images a staged backward pass keeps -*- C++
//-*-===//
//
// A trunk with reductions inside runs its stages backward, last first
// (BackwardRun.h), so what crosses stages lives whole for a while: the
// forward values a later stage reads, and the gradients that later stages
// sum for them. These live in memory, or, for images larger than memory
// allows, in scratch files (exec/ScratchImage.h) written and read a
// tile's block at a time, so that what the process holds stays one tile's
// working set whatever the image's size.
//
// Example: EfficientNet-B0's first squeeze-and-excitation block at 8192²
// keeps its 32-channel map at half resolution (2 GiB) from the forward
// pass to its own stage's backward tiles; its gradient (2 GiB more) is
// summed by the next stage's tiles, each adding its window.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_TRAIN_STOREDIMAGES_H
#define SSTEP_RUNTIME_TRAIN_STOREDIMAGES_H

#include "runtime/core/Region.h"
#include "runtime/exec/ScratchImage.h"

#include <map>
#include <memory>
#include <string>

namespace sstep::train {

/// Adds `block`, which holds `region`, into `into`, which holds `held`.
void addBlock(Tensor &into, const Region &held, const Tensor &block,
              const Region &region);

class StoredImages {
public:
  /// In memory when `scratchFolder` is empty, else in files there.
  explicit StoredImages(std::string scratchFolder = {})
      : folder(std::move(scratchFolder)) {}

  /// Image `v`, named `name` for errors, of `shape` (N, C, H, W), all
  /// zeros; nothing when it exists.
  void create(int v, const std::string &name, const Shape &shape);
  bool has(int v) const { return memory.count(v) || disk.count(v); }
  /// Copies `block`, which holds `from`, over `region` of image `v`.
  void write(int v, const Tensor &block, const Region &from,
             const Region &region);
  /// Adds `block`, which holds `region`, into image `v`.
  void add(int v, const Tensor &block, const Region &region);
  /// Adds `perPlane[n * C + c]` to every pixel of plane (n, c) of `v`.
  void addPerPlane(int v, const std::vector<double> &perPlane);
  /// Image `v` over `region`, NCHW.
  Tensor read(int v, const Region &region) const;
  void erase(int v);

  /// The bytes held now in memory and in files, and moved to and from
  /// files so far.
  int64_t memoryBytes() const;
  int64_t diskBytes() const;
  int64_t bytesWritten() const;
  int64_t bytesRead() const;

private:
  const Shape &shapeOf(int v) const;

  std::string folder;
  std::map<int, Tensor> memory;
  std::map<int, std::unique_ptr<exec::ScratchImage>> disk;
  int64_t written = 0, readBack = 0;
};

} // namespace sstep::train

#endif // SSTEP_RUNTIME_TRAIN_STOREDIMAGES_H
