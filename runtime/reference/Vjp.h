//===- Vjp.h - Vector-Jacobian products of the tile ops ----------*- C++
//-*-===//
//
// The backward twin of Kernels.h: for each differentiable op, the gradient
// of a loss with respect to its operands given the gradient with respect to
// its result, over one tile. A VJP kernel sees what the forward region
// kernel saw (the operands' blocks, placed in the image) plus the result's
// block and its gradient over the same output block, and returns each
// operand's gradient over that operand's block: taps that fall outside the
// image (padding) receive nothing, exactly as the whole-image autograd
// drops them. Weights and other operands without spatial extent get their
// whole gradient from this tile's pixels; summing those over disjoint
// output blocks gives the whole image's (train/Backward.h).
//
// Example: y = conv3x3(x) with pad 1 on a tile owning y[4, 7] of a 16-row
// axis: x's block is [3, 8]; the VJP spreads dy[4, 7] over dx[3, 8] and
// sums dy[oy] * x[oy - 1 + ky] into dW[ky].
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_REFERENCE_VJP_H
#define SSTEP_RUNTIME_REFERENCE_VJP_H

#include "runtime/reference/Kernels.h"

namespace sstep::reference {

struct VjpArgs {
  const Node &node;
  /// The operands as the forward region kernel got them, and where the
  /// spatial ones lie (entries of the others are unused).
  const Operands &in;
  const std::vector<Placed> &placed;
  /// The result's block and the loss's gradient over it, both over `out`.
  const Tensor &result;
  const Tensor &grad;
  const Placed &out;
  /// Which operands need a gradient.
  const std::vector<bool> &wanted;
};

/// Gradients by operand: over placed[i].region for spatial operands, of the
/// operand's whole shape for the others; empty where not wanted.
using VjpKernel = std::function<std::vector<Tensor>(const VjpArgs &)>;
using VjpTable = std::map<std::string, VjpKernel>;

/// Every op with a VJP, keyed by op name. A kernel reads only the forward
/// blocks its node's VjpRule names (the compiler's sstep-differentiate
/// decides them; operands without spatial extent are always given whole).
/// The backward pass keeps only those through the reverse sweep; the others
/// reach the VJP as shape-only tensors (their shape, no data), which it
/// must not read.
const VjpTable &vjpKernels();

void addConvVjps(VjpTable &table);
void addConvTransposeVjps(VjpTable &table);
void addPoolVjps(VjpTable &table);
void addPointwiseVjps(VjpTable &table);
void addTensorVjps(VjpTable &table);
void addGeometryVjps(VjpTable &table);
void addNormVjps(VjpTable &table);

/// The operands as the forward kernel of an op without a region kernel saw
/// them: spatial blocks cropped to the output block (`parts[i]`; one pixel
/// along a broadcast axis), the others as they are. A shape-only block
/// (one its VjpRule does not read) gives a shape-only crop.
struct Cropped {
  std::vector<Tensor> crops;
  std::vector<const Tensor *> operands;
  std::vector<Region> parts;
};
Cropped cropToOutput(const VjpArgs &a);

/// Operand i's gradient from `full`, the gradient at the output block's
/// (broadcast) shape: summed to the cropped operand's shape and, for a
/// spatial operand, placed inside its block.
Tensor place(const VjpArgs &a, const Cropped &c, size_t i, Tensor full);

/// The gradient of an operand of shape `shape` that broadcast (NumPy rules)
/// to `full`'s shape: `full` summed over the stretched dimensions.
Tensor sumToShape(const Tensor &full, const Shape &shape);

/// `part`, which covers `region`, inside zeros over `block` (which contains
/// `region`), as an operand's gradient over its whole block.
Tensor embed(Tensor part, const Region &region, const Region &block);

} // namespace sstep::reference

#endif // SSTEP_RUNTIME_REFERENCE_VJP_H
