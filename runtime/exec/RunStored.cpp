//===- RunStored.cpp - A run's images kept between stages -----------------===//

#include "runtime/core/BufferPool.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/exec/Run.h"

#include <cstdlib>

namespace sstep::exec::detail {

const Tensor &Run::whole(int v) {
  if (program.constants.contains(v))
    return program.constants.get(v);
  if (source[v])
    throw RuntimeError("internal error: streamed input '" +
                       program.values[v].name + "' is read whole");
  if (plan.storage.onDisk(v))
    throw RuntimeError("internal error: '" + program.values[v].name +
                       "', stored on disk, is read whole");
  return stored[v];
}

Tensor Run::load(int v, const Region &region) {
  if (source[v]) {
    auto start = Clock::now();
    Tensor t = source[v]->read(region);
    stats.readSeconds += since(start);
    if (t.rank() != 4 || t.dim(2) != region.axes[0].size() ||
        t.dim(3) != region.axes[1].size())
      throw RuntimeError("the source of '" + program.values[v].name +
                         "' returned " + formatShape(t.shape) + " for " +
                         formatRegion(region));
    return t;
  }
  if (plan.storage.onDisk(v)) {
    if (!onDisk[v] || !Region::whole(sizes[v]).contains(region))
      throw RuntimeError("internal error: the tile reads " +
                         formatRegion(region) + " of '" +
                         program.values[v].name + "', not stored");
    auto start = Clock::now();
    Tensor t = onDisk[v]->read(region);
    stats.readSeconds += since(start);
    return t;
  }
  const Tensor &all = whole(v);
  Region image = Region::whole(sizes[v]);
  if (numElements(all.shape) == 0 || all.rank() != 4 || !image.contains(region))
    throw RuntimeError("internal error: the tile reads " +
                       formatRegion(region) + " of '" + program.values[v].name +
                       "', which holds " + formatShape(all.shape));
  return crop(all, image, region);
}

void Run::store(int v, Tensor t) {
  if (t.rank() == 4)
    sizes[v] = {t.dim(2), t.dim(3)};
  stored[v] = std::move(t);
  countStored();
}

std::string scratchFolderOf(const Options &options) {
  if (!options.scratchFolder.empty())
    return options.scratchFolder;
  const char *tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

void Run::keep(int v, const Tensor &block, const Region &computed,
               const Region &owned) {
  if (plan.storage.onDisk(v)) {
    auto start = Clock::now();
    // Tiles as wide as the image write planar ranges without a copy;
    // narrower ones a row of all channels at a time (ScratchImage.h).
    if (!onDisk[v]) {
      Shape shape{block.dim(0), block.dim(1), sizes[v][0], sizes[v][1]};
      bool interleaved = owned.axes[1].size() < sizes[v][1];
      onDisk[v] = options.checkpoints
                      ? std::make_unique<ScratchImage>(
                            options.checkpoints->imagePath(v),
                            program.values[v].name, shape, interleaved,
                            /*reopen=*/false)
                      : std::make_unique<ScratchImage>(scratchFolderOf(options),
                                                       program.values[v].name,
                                                       shape, interleaved);
      countStored();
    }
    onDisk[v]->write(block, computed, owned);
    stats.writeSeconds += since(start);
    return;
  }
  Tensor &all = stored[v];
  if (all.data.empty()) {
    // Filled across tiles and read after them (a training step's output
    // lives on into the backward pass): placed apart from the tiles'
    // blocks, so that it splits none of their free space.
    BufferPool::LifetimeScope lasting(BufferPool::Lifetime::Lasting);
    all = Tensor({block.dim(0), block.dim(1), sizes[v][0], sizes[v][1]});
    countStored();
  }
  paste(all, Region::whole(sizes[v]), block, computed, owned);
}

void Run::release(int index) {
  const std::vector<int> &after = plan.storage.releaseAfter;
  for (size_t v = 0; v < after.size(); ++v)
    if (after[v] == index && !source[v]) {
      stored[v] = Tensor();
      closeScratch(v);
    }
}

void Run::closeScratch(size_t v) {
  if (!onDisk[v])
    return;
  stats.scratchWritten += onDisk[v]->bytesWritten();
  stats.scratchRead += onDisk[v]->bytesRead();
  onDisk[v].reset();
}

void Run::countStored() {
  int64_t memory = 0, disk = 0;
  for (size_t v = 0; v < stored.size(); ++v) {
    if (stages.producer[v] >= 0)
      memory += int64_t(stored[v].data.size() * sizeof(float));
    if (onDisk[v])
      disk += onDisk[v]->bytes();
  }
  stats.storedPeakBytes = std::max(stats.storedPeakBytes, memory);
  stats.scratchPeakBytes = std::max(stats.scratchPeakBytes, disk);
}

} // namespace sstep::exec::detail
