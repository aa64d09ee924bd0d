//===- TestPrograms.h - Programs and tensors for runtime tests ---*- C++
//-*-===//

#ifndef SSTEP_TEST_UNIT_TESTPROGRAMS_H
#define SSTEP_TEST_UNIT_TESTPROGRAMS_H

#include "runtime/core/Program.h"

#include <random>
#include <string>

namespace sstep::test {

/// Parses, verifies, partitions and exports sstep IR `text`; fails the
/// running Catch2 test case with the diagnostics otherwise.
/// With `streamNorms`, instance norms are first written as tile passes
/// (sstep-stream-instance-norm), as sstep-compile does. `recompute` is
/// sstep-recompute's policy (never: the pass does not run).
Program compileProgram(const std::string &text, bool streamNorms = false,
                       const std::string &recompute = "never");

/// A 1 x c x h x w tensor of uniform values in [-1, 1].
Tensor randomImage(std::mt19937 &rng, int64_t c, int64_t h, int64_t w);

/// Largest |a - b| relative to the largest |a|; infinite where only one of
/// a and b is NaN.
double relativeError(const Tensor &a, const Tensor &b);

} // namespace sstep::test

#endif // SSTEP_TEST_UNIT_TESTPROGRAMS_H
