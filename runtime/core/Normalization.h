//===- Normalization.h - How RGB bytes become model input values -*- C++
//-*-===//
//
// One definition for every byte input: slide regions (pipeline/SlideSource)
// and uint8 arrays handed to the Python package, read a window at a time.
// A byte v of channel c becomes (v / 255 - mean[c]) / std[c] in float32,
// the order torchvision's ToTensor and Normalize compute it in.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CORE_NORMALIZATION_H
#define SSTEP_RUNTIME_CORE_NORMALIZATION_H

#include <array>
#include <cstdint>
#include <string>

namespace sstep {

/// How RGB bytes become model input values.
struct Normalization {
  std::array<float, 3> mean{0, 0, 0};
  std::array<float, 3> std{1, 1, 1};

  /// "none" (rgb / 255), "imagenet" (torchvision's means and deviations) or
  /// "M,M,M/S,S,S". Throws std::invalid_argument saying what it expects.
  static Normalization parse(const std::string &text);
  /// The canonical spelling "M,M,M/S,S,S" with every digit of each float.
  std::string str() const;
  /// The value of byte `v` in channel `c`, exactly as the source computes it.
  float apply(int c, uint8_t v) const {
    return (float(v) / 255.0f - mean[c]) / std[c];
  }
  /// apply(c, v) for every byte v: what a reader looks bytes up in.
  std::array<float, 256> table(int c) const;
  /// Whether every channel maps v to v / 255 (any channel count then).
  bool identity() const;
};

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_NORMALIZATION_H
