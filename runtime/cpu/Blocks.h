//===- Blocks.h - A tile's values in oneDNN memory ---------------*- C++
//-*-===//
//
// Between the nodes of one tile the CPU backend keeps each value as a block:
// a rectangle of the value's image (in image coordinates) held in whatever
// layout the oneDNN primitive that wrote it chose, usually channel-blocked
// (nChw8c with AVX2, nChw16c with AVX-512). A consumer that wants another
// rectangle or layout gets a copy made by one reorder; a consumer that wants
// exactly what is there reads it in place, which is the common case in a
// chain of convolutions (the window planner sizes each block for its reader).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CPU_BLOCKS_H
#define SSTEP_RUNTIME_CPU_BLOCKS_H

#include "runtime/core/BufferPool.h"
#include "runtime/core/Region.h"
#include "runtime/cpu/PrimitiveCache.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace sstep::cpu {

using dnnl::memory;

/// The engine and stream every primitive of the backend runs on.
struct Device {
  /// Turns oneDNN's own primitive cache off (unless the environment sets
  /// its capacity): `primitives` bounds what is kept.
  Device();

  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  /// Block memory, the process's (core/BufferPool.h).
  BufferPool *pool = &BufferPool::process();
  PrimitiveCache primitives;
  /// Temporaries (operands reordered for one primitive) until the step
  /// that made them ends.
  std::vector<std::shared_ptr<void>> scratch;
};

struct Block {
  Region region;
  memory mem;
  /// Keeps alive what `mem` wraps: a pool buffer or a tensor.
  std::shared_ptr<void> owner;

  int64_t bytes() const { return mem ? int64_t(mem.get_desc().get_size()) : 0; }
  memory::dims dims() const { return mem.get_desc().dims(); }
};

/// A block of `region` in layout `desc`, its memory from the device's pool.
Block newBlock(Device &device, const Region &region, const memory::desc &desc,
               BufferPool::Lifetime lifetime = BufferPool::Lifetime::Tile);

/// Memory in layout `desc` from the pool, kept in `device.scratch`.
memory scratchMemory(Device &device, const memory::desc &desc);

/// Attributes whose scratchpad the caller passes (execute below). oneDNN's
/// own is allocated with each primitive and lives as long as the cache keeps
/// the primitive, so it grew with the strip's width times the primitives
/// cached, outside the budget: a U-Net's concatenations on 4096-wide strips
/// held 16 MiB over six. Passed from the pool, one step's lives at a time.
dnnl::primitive_attr userScratchpad();
/// Runs `prim` (made with userScratchpad()) on `args` and the scratchpad it
/// asks for, from the pool until the step ends.
void execute(Device &device, const dnnl::primitive &prim,
             std::unordered_map<int, memory> args);

/// Copies `from` into `to` (another layout, or a sub-memory view) by a
/// cached reorder.
void reorder(Device &device, const memory &from, const memory &to);

/// dims {N, C, rows, cols} of `region` with the batch and channels of `d`.
memory::dims dimsOf(const memory::dims &d, const Region &region);

/// An f32 memory descriptor of `dims` in NCHW.
memory::desc plainDesc(const memory::dims &dims);

/// Copies `region` of `block` (which contains it) into `to`, whose dims are
/// the region's, by one reorder from a sub-memory view.
void copyRegion(Device &device, const Block &block, const Region &region,
                memory to);

/// `region` of `block` (which must contain it) in layout `desc`, whose dims
/// are those of the region. Returns `block.mem` itself when nothing changes.
memory extract(Device &device, const Block &block, const Region &region,
               const memory::desc &desc);

/// `region` of `block` as an NCHW tensor.
Tensor toTensor(Device &device, const Block &block, const Region &region);

/// `desc`'s layout (plain or channel-blocked) for other dims.
memory::desc layoutLike(const memory::desc &desc, const memory::dims &dims);

/// `block`'s layout for `region` (an output window of a node that keeps
/// its input's layout): the block's own descriptor when it is all of it.
memory::desc layoutOver(const Block &block, const Region &region);

/// Where element (n, c, y, x) of a 4-D block lies, for the backend's own
/// loops: blocks of `lanes` channels (1 for a plain layout), each block's
/// lanes contiguous.
struct PixelLayout {
  int64_t lanes = 1;
  int64_t stride[4] = {0, 0, 0, 0};
  int64_t offset = 0;

  int64_t at(int64_t n, int64_t c, int64_t y, int64_t x) const {
    return offset + n * stride[0] + (c / lanes) * stride[1] + y * stride[2] +
           x * stride[3] + c % lanes;
  }
};

/// The layout of `desc`, if it is 4-D, plain or blocked over channels only.
std::optional<PixelLayout> pixelLayoutOf(const memory::desc &desc);

/// Whether `desc` is channel-blocked with channels padded up to the block.
bool hasChannelPadding(const memory::desc &desc);

/// Sets the padding channels of channel-blocked `mem` back to zero, as
/// primitives reading it expect.
void zeroChannelPadding(const memory &mem);

/// Block `region` (inside `block`, usually its bottom rows) copied out in
/// `block`'s layout, or `block` itself when it is all of it.
Block keepPart(Device &device, Block block, const Region &region);

/// One block over `whole` from `top` and `bottom`, which hold its upper and
/// lower rows (`bottom` may be empty), in `bottom`'s layout.
Block joinRows(Device &device, const Block &top, const Block &bottom,
               const Region &whole);

/// A block holding NCHW tensor `t`, which covers `region`.
Block fromTensor(Tensor t, const Region &region, Device &device);

} // namespace sstep::cpu

#endif // SSTEP_RUNTIME_CPU_BLOCKS_H
