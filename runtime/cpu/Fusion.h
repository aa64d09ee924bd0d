//===- Fusion.h - Which of a stage's tile nodes run as one primitive -*- C++
//-*-===//
//
// oneDNN applies element-wise functions and a residual sum to a
// convolution's result while it is still in registers (post-ops). A step is
// a convolution with the chain of such nodes that follows it, or a single
// node. A node joins a chain only when it is the sole reader of the value
// before it and that value is needed nowhere else (not a sink, not stored),
// so no value a step swallows is ever asked for.
//
// Example: ResNet's `conv -> add(., identity) -> relu` is one step with
// post-ops [sum, relu]; the identity block is copied into the destination
// before the convolution accumulates onto it. A trained BatchNorm's
// `mul(., scale) -> add(., shift)` after a convolution joins as per-channel
// binary post-ops.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CPU_FUSION_H
#define SSTEP_RUNTIME_CPU_FUSION_H

#include "runtime/core/Program.h"
#include "runtime/plan/Stages.h"
#include "runtime/plan/Tiling.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <optional>
#include <vector>

namespace sstep::cpu {

/// The oneDNN element-wise algorithm and its parameters for a unary node, or
/// a binary one with a scalar constant second operand, if oneDNN has one
/// that matches the op's definition (exactly, but for division by a scalar).
struct Eltwise {
  dnnl::algorithm algorithm;
  float alpha = 0, beta = 0;
};
std::optional<Eltwise> eltwiseOf(const Node &node, const Program &program);
/// The same for a unary node.
std::optional<Eltwise> unaryEltwiseOf(const Node &node);

/// A binary op of an image and a per-channel constant (one value per
/// channel, [C, 1, 1] or [1, C, 1, 1]: a BatchNorm kept apart from its
/// convolution to be trained), which oneDNN applies as a binary post-op.
struct ChannelBinary {
  dnnl::algorithm algorithm;
  /// The constant's value id.
  int constant = -1;
};
std::optional<ChannelBinary> channelBinaryOf(const Node &node,
                                             const Program &program);

/// Whether `node` is a layer norm over the channels of an image (ConvNeXt's
/// LayerNorm), which the backend runs in its input's layout.
bool isChannelLayerNorm(const Node &node, const Program &program);

/// Whether `node` slices an image's channels alone or shuffles them
/// (ShuffleNet's split and shuffle), which the backend gathers in its
/// input's layout.
bool isChannelGather(const Node &node, const Program &program);

/// Whether `node` crops an image by fixed margins (a pad2d whose pads are
/// all negative or zero: HoVer-Net's skips), which the backend copies in its
/// input's layout (Crop.cpp).
bool isSpatialCrop(const Node &node);

/// Whether the backend writes `node`'s result in its first operand's layout:
/// element-wise ops, channel layer norms, slices and shuffles, resizes,
/// crops.
bool keepsInputLayout(const Node &node, const Program &program);

struct Step {
  /// The nodes in order; the first is the step's primary op.
  std::vector<int> nodes;
  /// For a fused residual add: the node and the value added (-1: none).
  int sumNode = -1, sumValue = -1;
  /// The value the step produces.
  int result = -1;
};

/// The steps of `stage`'s tile nodes, in order.
std::vector<Step> planSteps(const Program &program, const plan::Stage &stage,
                            const plan::Stages &stages,
                            const plan::Sizes &sizes);

/// The step planSteps made of `nodes` (a convolution and the nodes fused
/// into it, or one node), its residual sum found again.
Step stepOf(const Program &program, const std::vector<int> &nodes);

} // namespace sstep::cpu

#endif // SSTEP_RUNTIME_CPU_FUSION_H
