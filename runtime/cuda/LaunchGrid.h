//===- LaunchGrid.h - The grid a generated kernel is launched on -*- C++
//-*-===//
//
// Generated kernels index in 32 bits (EmitCuda.cpp's SSTEP_FOR_EACH_OUTPUT):
// the grid's y walks the output block's rows, its x the elements of a row
// (cols * channels). This header sizes that grid and refuses a block whose
// rows or row length do not fit an int, so a kernel never wraps silently.
// Plain C++: the tests check it without a GPU.
//
// Example: a 1 x 64 x 512 x 512 block with 4096 blocks to spend: a row is
// 32768 elements, 128 blocks of 256 threads across x, and 32 across y, so
// each thread block walks 16 of the 512 rows.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CUDA_LAUNCHGRID_H
#define SSTEP_RUNTIME_CUDA_LAUNCHGRID_H

#include "runtime/core/RuntimeError.h"
#include "runtime/cuda/KernelAbi.h"

#include <algorithm>
#include <climits>
#include <string>

namespace sstep::cuda {

struct LaunchGrid {
  unsigned x = 0, y = 0;
  static constexpr unsigned kThreads = 256;
};

/// The grid for `rows` rows of `rowElements` elements each, using about
/// `maxBlocks` thread blocks in all; none (0 x 0) when there is nothing to
/// do. Throws RuntimeError naming `what` when an index would not fit 32
/// bits.
inline LaunchGrid launchGrid(long long rows, long long rowElements,
                             unsigned maxBlocks, const std::string &what) {
  if (rows <= 0 || rowElements <= 0)
    return {};
  if (rows > INT_MAX || rowElements > INT_MAX - LaunchGrid::kThreads)
    throw RuntimeError("CUDA: " + what +
                       " is too large for 32-bit indices; use smaller tiles");
  const long long budget = std::max(1u, maxBlocks);
  const long long across = std::min(
      (rowElements + LaunchGrid::kThreads - 1) / LaunchGrid::kThreads, budget);
  // 65535 is CUDA's limit on a grid's y.
  const long long down =
      std::min({rows, std::max(1LL, budget / across), 65535LL});
  return {unsigned(across), unsigned(down)};
}

/// The grid for a generated kernel's output block `out`: its batch * rows
/// rows of cols * channels elements.
inline LaunchGrid launchGrid(const SStepBlock &out, unsigned maxBlocks) {
  return launchGrid(out.batch * out.rows, out.cols * out.channels, maxBlocks,
                    "an output block of " + std::to_string(out.batch) + " x " +
                        std::to_string(out.channels) + " x " +
                        std::to_string(out.rows) + " x " +
                        std::to_string(out.cols));
}

} // namespace sstep::cuda

#endif // SSTEP_RUNTIME_CUDA_LAUNCHGRID_H
