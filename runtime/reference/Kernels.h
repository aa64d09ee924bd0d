//===- Kernels.h - The reference backend's kernel table ----------*- C++
//-*-===//
//
// One plain-loop kernel per sstep op, looked up by the op's name. Kernels
// compute whole tensors in fp32 storage with fp64 accumulation; they favour
// being obviously right over being fast.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_REFERENCE_KERNELS_H
#define SSTEP_RUNTIME_REFERENCE_KERNELS_H

#include "dialects/sstep/IR/ShapeRules.h"
#include "dialects/sstep/IR/SpatialRules.h"
#include "runtime/core/Program.h"
#include "runtime/core/Region.h"

#include <array>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace sstep::reference {

using Operands = std::vector<const Tensor *>;
using Kernel =
    std::function<std::vector<Tensor>(const Node &, const Operands &)>;
using KernelTable = std::map<std::string, Kernel>;

/// A kernel computing block `out.region` of its output image from operands
/// that hold blocks `in[i]` of theirs (entries of non-spatial operands are
/// ignored). The operands hold every pixel inside the image that the op's
/// window rule reads; outside the image the kernel applies its border rule,
/// exactly as the whole-image kernel does.
using RegionKernel = std::function<std::vector<Tensor>(
    const Node &, const Operands &, const std::vector<Placed> &in,
    const Placed &out)>;
using RegionKernelTable = std::map<std::string, RegionKernel>;

/// Every kernel, keyed by op name ("conv2d").
const KernelTable &kernels();

/// The kernels of ops whose window reaches other pixels (convolutions,
/// pools, pad, resize). Tiles run every other local op by cropping its
/// operands to the output block.
const RegionKernelTable &regionKernels();

// Each kernel family registers itself from its own file; the families with
// window ops register region kernels too, and their whole-image kernels call
// those on the whole image.
void addConvKernels(KernelTable &table, RegionKernelTable &regions);
void addConvTransposeKernels(KernelTable &table, RegionKernelTable &regions);
void addPoolKernels(KernelTable &table, RegionKernelTable &regions);
void addPointwiseKernels(KernelTable &table);
void addGeometryKernels(KernelTable &table, RegionKernelTable &regions);
void addTensorKernels(KernelTable &table);
void addMatrixKernels(KernelTable &table);
void addNormKernels(KernelTable &table);

/// The window geometry of a sliding-window node along spatial axis `axis`
/// (0 = H) from its strides, dilations and pads attributes.
WindowAxis windowAxisOf(const Node &node, int64_t kernel, int axis);

/// The output positions of `out` whose tap `tap` of window `w` lands inside
/// an input axis [0, size).
inline Interval validTaps(const WindowAxis &w, int64_t tap, int64_t size,
                          Interval out) {
  int64_t shift = tap * w.dilation - w.padBegin; // input = out*stride + shift
  return out.intersect(
      {ceilDiv(-shift, w.stride), floorDiv(size - 1 - shift, w.stride)});
}

/// Where a slice node's output reads its input of shape `input`: output
/// element i is input element base + offsetAt(i, output shape, strides)
/// (index k along a sliced axis reads first + k * step there).
struct SliceView {
  int64_t base = 0;
  std::vector<int64_t> strides;
};
SliceView sliceView(const Node &node, const Shape &input);

/// The input positions of `block` whose tap `tap` of a transposed window
/// `w` lands inside output `out` (output = input * stride + tap * dilation -
/// padBegin).
inline Interval transposedTaps(const WindowAxis &w, int64_t tap, Interval block,
                               Interval out) {
  int64_t shift = tap * w.dilation - w.padBegin;
  return block.intersect(
      {ceilDiv(out.lo - shift, w.stride), floorDiv(out.hi - shift, w.stride)});
}

/// Throws RuntimeError naming `node` unless a conv2d's input `x` and
/// `weight` agree on channels and groups.
void checkConvOperands(const Node &node, const Tensor &x, const Tensor &weight);

/// The input rectangle block `out` of a sliding window (a convolution) reads,
/// clipped to the image, and the padding it needs before and after on each
/// axis where it leaves the image: an interior tile pads nothing, a border
/// tile exactly what the whole image pads on that side.
struct WindowReads {
  Region region;
  std::array<int64_t, 2> padBegin{0, 0}, padEnd{0, 0};
};
WindowReads windowReads(const Region &out, const WindowAxis axes[2],
                        Size2 image);

/// The index of global pixel `i` (inside the image) in a block starting at
/// `block.lo`.
inline int64_t local(int64_t i, const Interval &block) { return i - block.lo; }

/// Throws RuntimeError naming `node` unless `t` has rank `rank`.
void expectRank(const Node &node, const Tensor &t, int64_t rank,
                const char *what);

/// The shape a rule of ShapeRules.h gives; throws RuntimeError naming `node`
/// with the rule's error.
Shape checkRule(const Node &node, const shape::Result &rule);

/// NumPy broadcasting of two shapes; throws naming `node` when they do not.
Shape broadcastShape(const Node &node, const Shape &a, const Shape &b);

/// Strides of `shape` seen from the broadcast shape `out`: 0 along stretched
/// and missing leading dimensions.
std::vector<int64_t> broadcastStrides(const Shape &shape, const Shape &out);

/// The offset in a tensor with `strides` of the element at linear index
/// `index` of `shape` (a row-major walk over a broadcast or permuted view).
int64_t offsetAt(int64_t index, const Shape &shape,
                 const std::vector<int64_t> &strides);

/// Walks rows [first, last) of `shape` (rows: its last dimension) for two
/// views of it with strides `sa` and `sb` (broadcastStrides): calls
/// row(start, offsetA, offsetB, strideA, strideB, length) for each, `start`
/// being the row's linear index. The index arithmetic happens once per row,
/// not per element. A rank-0 shape is one row of one element.
template <typename Row>
void forEachRow(const Shape &shape, const std::vector<int64_t> &sa,
                const std::vector<int64_t> &sb, int64_t first, int64_t last,
                Row row) {
  if (shape.empty()) {
    if (first < last && first == 0)
      row(int64_t(0), int64_t(0), int64_t(0), int64_t(0), int64_t(0),
          int64_t(1));
    return;
  }
  const size_t inner = shape.size() - 1;
  const int64_t length = shape[inner];
  if (length == 0 || first >= last)
    return;
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t d = int64_t(inner) - 1, r = first; d >= 0; --d) {
    index[d] = r % shape[d];
    r /= shape[d];
  }
  for (int64_t r = first; r < last; ++r) {
    int64_t oa = 0, ob = 0;
    for (size_t d = 0; d < inner; ++d) {
      oa += index[d] * sa[d];
      ob += index[d] * sb[d];
    }
    row(r * length, oa, ob, sa[inner], sb[inner], length);
    for (int64_t d = int64_t(inner) - 1; d >= 0 && ++index[d] == shape[d]; --d)
      index[d] = 0;
  }
}

/// The number of rows forEachRow walks in `shape`.
inline int64_t rowCount(const Shape &shape) {
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < shape.size(); ++d)
    rows *= shape[d];
  return rows;
}

/// All rows, in order.
template <typename Row>
void forEachRow(const Shape &shape, const std::vector<int64_t> &sa,
                const std::vector<int64_t> &sb, Row row) {
  forEachRow(shape, sa, sb, 0, rowCount(shape), row);
}

/// `t` expanded to `shape` by ONNX's unidirectional broadcasting; throws
/// naming `node` and `what` ("slope") when it does not broadcast.
Tensor broadcastTo(const Node &node, const Tensor &t, const Shape &shape,
                   const char *what);

/// Worker threads of parallelFor; 0 (the default) uses every core.
void setThreadCount(int threads);
/// The worker threads parallelFor uses now.
int threadsInUse();

/// Runs fn(i) for i in [0, n) on the worker threads. `fn` must not throw:
/// kernels check their operands before going parallel.
void parallelFor(int64_t n, const std::function<void(int64_t)> &fn);

/// Runs body() on `workers` threads at once, returning when every one has.
/// The default starts threads per call; the cpu backend installs its
/// OpenMP team, so that reference kernels between oneDNN primitives run on
/// the threads oneDNN keeps spinning instead of competing with them.
using TeamRunner = void (*)(int workers, const std::function<void()> &body);
void setTeamRunner(TeamRunner runner);

} // namespace sstep::reference

#endif // SSTEP_RUNTIME_REFERENCE_KERNELS_H
