//===- Blocks.cpp - A tile's values in oneDNN memory ----------------------===//

#include "runtime/cpu/Blocks.h"

#include <cstdlib>

namespace sstep::cpu {

Device::Device() {
  // The backends cache their primitives themselves, within a bound;
  // oneDNN's own cache (1024 primitives) would keep every one it ever made
  // alive, which on a large image is most of the backend's memory. A
  // capacity set in the environment is the user's choice and stays.
  if (!std::getenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY") &&
      !std::getenv("DNNL_PRIMITIVE_CACHE_CAPACITY"))
    dnnl::set_primitive_cache_capacity(0);
}

Block newBlock(Device &device, const Region &region, const memory::desc &desc,
               BufferPool::Lifetime lifetime) {
  std::shared_ptr<void> buffer = device.pool->take(desc.get_size(), lifetime);
  return Block{region, memory(desc, device.engine, buffer.get()), buffer};
}

memory scratchMemory(Device &device, const memory::desc &desc) {
  std::shared_ptr<void> buffer = device.pool->take(desc.get_size());
  device.scratch.push_back(buffer);
  return memory(desc, device.engine, buffer.get());
}

dnnl::primitive_attr userScratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void execute(Device &device, const dnnl::primitive &prim,
             std::unordered_map<int, memory> args) {
  const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(
      prim.get_primitive_desc(), dnnl_query_scratchpad_md, 0);
  if (md && dnnl_memory_desc_get_size(md) > 0)
    args[DNNL_ARG_SCRATCHPAD] = scratchMemory(device, memory::desc(*md));
  prim.execute(device.stream, args);
}

void reorder(Device &device, const memory &from, const memory &to) {
  device.primitives.reorder(device.engine, from.get_desc(), to.get_desc())
      .execute(device.stream, {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
}

memory::dims dimsOf(const memory::dims &d, const Region &region) {
  return {d[0], d[1], region.axes[0].size(), region.axes[1].size()};
}

memory::desc plainDesc(const memory::dims &dims) {
  return memory::desc(dims, memory::data_type::f32, memory::format_tag::nchw);
}

void copyRegion(Device &device, const Block &block, const Region &region,
                memory to) {
  memory::desc sub = block.mem.get_desc().submemory_desc(
      dimsOf(block.dims(), region),
      {0, 0, region.axes[0].lo - block.region.axes[0].lo,
       region.axes[1].lo - block.region.axes[1].lo});
  memory from(sub, device.engine, block.mem.get_data_handle());
  reorder(device, from, to);
}

memory extract(Device &device, const Block &block, const Region &region,
               const memory::desc &desc) {
  if (region == block.region && block.mem.get_desc() == desc)
    return block.mem;
  memory to = scratchMemory(device, desc);
  copyRegion(device, block, region, to);
  return to;
}

bool hasChannelPadding(const memory::desc &desc) {
  const dnnl_memory_desc_t &d = desc.data;
  return d.ndims == 4 && d.format_kind == dnnl_blocked &&
         d.padded_dims[1] != d.dims[1];
}

void zeroChannelPadding(const memory &mem) {
  const dnnl_memory_desc_t &d = mem.get_desc().data;
  const dnnl_blocking_desc_t &b = d.format_desc.blocking;
  if (!hasChannelPadding(mem.get_desc()) || b.inner_nblks != 1 ||
      b.inner_idxs[0] != 1)
    throw dnnl::error(dnnl_unimplemented, "unexpected blocked layout");
  const int64_t block = b.inner_blks[0];
  const int64_t lastBlock = d.padded_dims[1] / block - 1;
  const int64_t firstPad = d.dims[1] - lastBlock * block;
  float *base = static_cast<float *>(mem.get_data_handle()) + d.offset0;
  for (int64_t n = 0; n < d.dims[0]; ++n)
    for (int64_t y = 0; y < d.dims[2]; ++y)
      for (int64_t x = 0; x < d.dims[3]; ++x) {
        float *lanes = base + n * b.strides[0] + lastBlock * b.strides[1] +
                       y * b.strides[2] + x * b.strides[3];
        std::fill(lanes + firstPad, lanes + block, 0.0f);
      }
}

memory::desc layoutLike(const memory::desc &desc, const memory::dims &dims) {
  const dnnl_memory_desc_t &d = desc.data;
  const dnnl_blocking_desc_t &b = d.format_desc.blocking;
  auto tag = memory::format_tag::nchw;
  if (d.format_kind == dnnl_blocked && b.inner_nblks == 1 &&
      b.inner_idxs[0] == 1)
    tag = b.inner_blks[0] == 16  ? memory::format_tag::nChw16c
          : b.inner_blks[0] == 8 ? memory::format_tag::nChw8c
                                 : tag;
  return memory::desc(dims, memory::data_type::f32, tag);
}

namespace {

/// Copies `from` into the rows of `to` starting at `row`.
void copyRows(Device &device, memory from, const memory &to, int64_t row) {
  memory::dims dims = from.get_desc().dims();
  memory::desc sub = to.get_desc().submemory_desc(dims, {0, 0, row, 0});
  memory into(sub, device.engine, to.get_data_handle());
  reorder(device, from, into);
}

} // namespace

Block keepPart(Device &device, Block block, const Region &region) {
  if (region == block.region)
    return block;
  memory::desc desc =
      layoutLike(block.mem.get_desc(), dimsOf(block.dims(), region));
  Block part = newBlock(device, region, desc, BufferPool::Lifetime::Lasting);
  copyRegion(device, block, region, part.mem);
  return part;
}

Block joinRows(Device &device, const Block &top, const Block &bottom,
               const Region &whole) {
  const Block &shape = bottom.mem ? bottom : top;
  memory::desc desc =
      layoutLike(shape.mem.get_desc(), dimsOf(shape.dims(), whole));
  Block out = newBlock(device, whole, desc);
  copyRows(device, top.mem, out.mem, 0);
  if (bottom.mem)
    copyRows(device, bottom.mem, out.mem, top.region.axes[0].size());
  if (hasChannelPadding(desc))
    zeroChannelPadding(out.mem);
  return out;
}

Tensor toTensor(Device &device, const Block &block, const Region &region) {
  memory::dims dims = dimsOf(block.dims(), region);
  Tensor t({dims[0], dims[1], dims[2], dims[3]});
  if (t.size() == 0)
    return t;
  copyRegion(device, block, region,
             memory(plainDesc(dims), device.engine, t.data.data()));
  device.stream.wait();
  return t;
}

Block fromTensor(Tensor t, const Region &region, Device &device) {
  Block b;
  b.region = region;
  auto tensor = std::make_shared<Tensor>(std::move(t));
  const Shape &s = tensor->shape;
  b.mem = memory(plainDesc({s[0], s[1], s[2], s[3]}), device.engine,
                 tensor->data.data());
  b.owner = tensor;
  return b;
}

memory::desc layoutOver(const Block &block, const Region &region) {
  return block.region == region
             ? block.mem.get_desc()
             : layoutLike(block.mem.get_desc(), dimsOf(block.dims(), region));
}

std::optional<PixelLayout> pixelLayoutOf(const memory::desc &desc) {
  if (desc.data.ndims != 4 || desc.data.format_kind != dnnl_blocked)
    return std::nullopt;
  const dnnl_blocking_desc_t &b = desc.data.format_desc.blocking;
  PixelLayout l;
  if (b.inner_nblks == 1 && b.inner_idxs[0] == 1)
    l.lanes = b.inner_blks[0];
  else if (b.inner_nblks != 0)
    return std::nullopt;
  for (int i = 0; i < 4; ++i)
    l.stride[i] = b.strides[i];
  l.offset = desc.data.offset0;
  return l;
}

} // namespace sstep::cpu
