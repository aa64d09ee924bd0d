//===- RandomNet.h - Random spatial networks for property tests --*- C++
//-*-===//
//
// Writes a random DAG of sstep ops as MLIR text: convolutions, pools,
// transposed convolutions, resizes, pads, pointwise ops, adds and concats of
// equal-sized values, squeeze-and-excitation blocks, instance norms, channel
// shuffles, channel slices and reductions over channels, with
// random strides, dilations, asymmetric pads, ceil modes, scales and
// coordinate modes. A trainable network keeps to the ops with gradients.
// It tracks every value's size at the test's image size so
// that merges line up and no value vanishes.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TEST_UNIT_RANDOMNET_H
#define SSTEP_TEST_UNIT_RANDOMNET_H

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace sstep::test {

/// A random network, its image size and channels.
struct RandomCase {
  std::array<int64_t, 2> image;
  int64_t channels;
  std::string text;
};

/// A random trainable network of 2 to 8 ops on an image of 5 to 36 pixels
/// a side and 1 to 3 channels, all drawn from `rng` (the ops from `seed`):
/// the backward pass's property tests' case.
RandomCase randomTrainableCase(std::mt19937 &rng, uint32_t seed);

/// The same with reductions inside the trunk, which cut it into stages:
/// squeeze-and-excitation blocks (by a mean or a maximum) and instance and
/// group norms,
/// about one op in three. Compile with the norms streamed.
RandomCase randomStagedTrainableCase(std::mt19937 &rng, uint32_t seed);

/// The ranges randomCase draws from.
struct CaseRanges {
  int64_t minSide = 6, maxSide = 40;
  int64_t maxChannels = 3;
  int minOps = 4, maxOps = 10;
};

/// A random network of `minOps` to `maxOps` ops of any kind
/// (squeeze-and-excitation blocks and instance norms cut it into stages) on
/// an image of `minSide` to `maxSide` pixels a side and 1 to `maxChannels`
/// channels, drawn from `rng` in that order (the ops from `seed`).
RandomCase randomCase(std::mt19937 &rng, uint32_t seed,
                      const CaseRanges &ranges);
/// The stored-values and checkpoint tests' case: the default ranges with
/// up to `maxChannels` channels.
RandomCase randomCase(std::mt19937 &rng, uint32_t seed, int64_t maxChannels);
/// The tiling property tests' case: 5 to 40 pixels a side, 1 to 3
/// channels, 3 to 10 ops.
inline RandomCase randomTilingCase(std::mt19937 &rng, uint32_t seed) {
  return randomCase(rng, seed, CaseRanges{5, 40, 3, 3, 10});
}

class RandomNet {
public:
  /// `trainable`: only ops the backward pass differentiates
  /// (reference/Vjp.h), and one output; `staged`: reductions inside the
  /// trunk too (randomStagedTrainableCase).
  RandomNet(uint32_t seed, std::array<int64_t, 2> image, int64_t channels,
            bool trainable = false, bool staged = false);

  /// Adds `ops` random ops and returns the module text, returning the last
  /// value and, sometimes, a second one.
  std::string build(int ops);

private:
  struct Val {
    std::string name;
    int64_t channels;
    std::array<int64_t, 2> size;
  };

  int64_t pick(int64_t lo, int64_t hi);
  bool chance(double p);
  const Val &anyValue();
  std::string type(const Val &v) const;
  std::string constant(const std::vector<int64_t> &shape);
  std::string fresh();
  std::string ints(const std::vector<int64_t> &values) const;
  void define(std::string name, int64_t channels, std::array<int64_t, 2> size);

  bool conv(const Val &in);
  bool pool(const Val &in);
  bool convTranspose(const Val &in);
  bool resize(const Val &in);
  bool pad(const Val &in);
  bool pointwise(const Val &in);
  bool merge(const Val &in);
  bool squeezeExcite(const Val &in);
  bool instanceNorm(const Val &in);
  bool channelMove(const Val &in);

  std::mt19937 rng;
  bool trainable, staged;
  std::string body;
  std::vector<Val> values;
  int counter = 0;
};

} // namespace sstep::test

#endif // SSTEP_TEST_UNIT_RANDOMNET_H
