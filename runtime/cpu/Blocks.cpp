//===- Blocks.cpp - A tile's values in oneDNN memory ----------------------===//

#include "runtime/cpu/Blocks.h"

namespace sstep::cpu {

memory::dims dimsOf(const memory::dims &d, const Region &region) {
  return {d[0], d[1], region.axes[0].size(), region.axes[1].size()};
}

memory::desc plainDesc(const memory::dims &dims) {
  return memory::desc(dims, memory::data_type::f32, memory::format_tag::nchw);
}

memory extract(Device &device, const Block &block, const Region &region,
               const memory::desc &desc) {
  memory::desc have = block.mem.get_desc();
  if (region == block.region && have == desc)
    return block.mem;
  memory::dims dims = dimsOf(have.dims(), region);
  memory::desc sub = have.submemory_desc(
      dims, {0, 0, region.axes[0].lo - block.region.axes[0].lo,
             region.axes[1].lo - block.region.axes[1].lo});
  memory from(sub, device.engine, block.mem.get_data_handle());
  memory to(desc, device.engine);
  dnnl::reorder(from, to).execute(device.stream, from, to);
  return to;
}

Tensor toTensor(Device &device, const Block &block, const Region &region) {
  memory::dims dims = dimsOf(block.dims(), region);
  Tensor t({dims[0], dims[1], dims[2], dims[3]});
  if (t.size() == 0)
    return t;
  memory::desc sub = block.mem.get_desc().submemory_desc(
      dims, {0, 0, region.axes[0].lo - block.region.axes[0].lo,
             region.axes[1].lo - block.region.axes[1].lo});
  memory from(sub, device.engine, block.mem.get_data_handle());
  memory to(plainDesc(dims), device.engine, t.data.data());
  dnnl::reorder(from, to).execute(device.stream, from, to);
  device.stream.wait();
  return t;
}

Block fromTensor(Tensor t, const Region &region, Device &device) {
  Block b;
  b.region = region;
  b.owner = std::make_shared<Tensor>(std::move(t));
  const Shape &s = b.owner->shape;
  b.mem = memory(plainDesc({s[0], s[1], s[2], s[3]}), device.engine,
                 b.owner->data.data());
  return b;
}

} // namespace sstep::cpu
