//===- GeometryTables.h - Per-axis source tables of pad and resize -*- C++
//-*-===//
//
// Pad and resize read each output pixel from input pixels chosen per axis.
// The forward kernels gather through these tables (GeometryKernel.cpp); the
// gradients scatter through the same ones (GeometryVjp.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_REFERENCE_GEOMETRYTABLES_H
#define SSTEP_RUNTIME_REFERENCE_GEOMETRYTABLES_H

#include "runtime/reference/Kernels.h"

namespace sstep::reference {

/// Source rows of output rows `out` of a pad along one axis (`pad` before):
/// each an index into the operand's block, or -1 for the constant value.
std::vector<int64_t> padTable(Interval out, int64_t pad, const Placed &from,
                              unsigned axis, const std::string &mode);

/// The resize rule of `node` along `axis`, as the compiler states it.
AxisRule resizeRule(const Node &node, unsigned axis);

/// Per output index of `out`, the two taps as indices into the operand's
/// block, and the weight of the second.
struct AxisTable {
  std::vector<int64_t> lo, hi;
  std::vector<double> frac;
};

AxisTable resizeTable(const AxisRule &rule, Interval out, const Placed &from,
                      int64_t outSize, unsigned axis);

} // namespace sstep::reference

#endif // SSTEP_RUNTIME_REFERENCE_GEOMETRYTABLES_H
