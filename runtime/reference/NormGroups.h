//===- NormGroups.h - The groups a normalisation works over ------*- C++
//-*-===//
//
// Shared by the normalisations' forward kernels (NormKernel.cpp) and their
// gradients (NormVjp.cpp), so both see the same groups and the same fp64
// statistics. A group is the elements that differ only along the
// normalised axes: a start offset plus member offsets, shared by all
// groups. Example: a 1x4x2x3 image normalised over axes [1] has 6 groups
// (one per pixel), starts 0..5 and members {0, 6, 12, 18}.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_REFERENCE_NORMGROUPS_H
#define SSTEP_RUNTIME_REFERENCE_NORMGROUPS_H

#include "runtime/reference/Kernels.h"

#include <cmath>

namespace sstep::reference {

struct Groups {
  std::vector<int64_t> starts, members;
};

/// The groups of `shape` normalised over `axes` (strictly increasing);
/// throws naming `node` otherwise.
Groups groupsOf(const Node &node, const Shape &shape,
                const std::vector<int64_t> &axes);

/// One group's mean and 1 / sqrt(biased variance + epsilon), in fp64.
struct GroupStats {
  double mean = 0, inv = 0;
};

inline GroupStats groupStats(const Tensor &x, int64_t start,
                             const std::vector<int64_t> &members,
                             double epsilon) {
  double mean = 0, var = 0;
  for (int64_t m : members)
    mean += x.data[start + m];
  mean /= double(members.size());
  for (int64_t m : members)
    var += (x.data[start + m] - mean) * (x.data[start + m] - mean);
  return {mean, 1 / std::sqrt(var / double(members.size()) + epsilon)};
}

} // namespace sstep::reference

#endif // SSTEP_RUNTIME_REFERENCE_NORMGROUPS_H
