//===- Vjp.cpp - The VJP table and the helpers the VJP kernels share ------===//

#include "runtime/reference/Vjp.h"

namespace sstep::reference {

Tensor sumToShape(const Tensor &full, const Shape &shape) {
  if (full.shape == shape)
    return full;
  std::vector<double> acc(size_t(numElements(shape)), 0.0);
  std::vector<int64_t> strides = broadcastStrides(shape, full.shape);
  forEachRow(full.shape, strides, strides,
             [&](int64_t first, int64_t offset, int64_t, int64_t stride,
                 int64_t, int64_t length) {
               for (int64_t i = 0; i < length; ++i)
                 acc[size_t(offset + i * stride)] += full.data[first + i];
             });
  return Tensor(shape, FloatBuffer(acc.begin(), acc.end()));
}

Tensor embed(Tensor part, const Region &region, const Region &block) {
  if (region == block)
    return part;
  Tensor out(
      {part.dim(0), part.dim(1), block.axes[0].size(), block.axes[1].size()});
  paste(out, block, part, region, region);
  return out;
}

Cropped cropToOutput(const VjpArgs &a) {
  Cropped c;
  c.crops.resize(a.in.size());
  c.parts.resize(a.in.size());
  for (size_t i = 0; i < a.in.size(); ++i) {
    if (!a.node.window->spatial[i]) {
      c.operands.push_back(a.in[i]);
      continue;
    }
    Region part = a.out.region;
    for (unsigned axis = 0; axis < 2; ++axis)
      if (a.placed[i].image[axis] == 1 && a.out.image[axis] != 1)
        part.axes[axis] = {0, 0}; // broadcast along this axis
    c.parts[i] = part;
    if (part == a.placed[i].region) { // the block is the output's: no copy
      c.operands.push_back(a.in[i]);
      continue;
    }
    c.crops[i] = a.in[i]->data.empty()
                     ? Tensor(Shape{a.in[i]->dim(0), a.in[i]->dim(1),
                                    part.axes[0].size(), part.axes[1].size()},
                              FloatBuffer())
                     : crop(*a.in[i], a.placed[i].region, part);
    c.operands.push_back(&c.crops[i]);
  }
  return c;
}

/// Operand i's gradient from `full`, the gradient at the output block's
/// (broadcast) shape.
Tensor place(const VjpArgs &a, const Cropped &c, size_t i, Tensor full) {
  const Shape &shape = c.operands[i]->shape;
  Tensor g = full.shape == shape ? std::move(full) : sumToShape(full, shape);
  if (!a.node.window->spatial[i])
    return g;
  return embed(std::move(g), c.parts[i], a.placed[i].region);
}

const VjpTable &vjpKernels() {
  static const VjpTable table = [] {
    VjpTable t;
    addConvVjps(t);
    addConvTransposeVjps(t);
    addPoolVjps(t);
    addPointwiseVjps(t);
    addTensorVjps(t);
    addGeometryVjps(t);
    addNormVjps(t);
    return t;
  }();
  return table;
}

} // namespace sstep::reference
