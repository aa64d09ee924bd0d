//===- AlgorithmCache.h - cuDNN's algorithm choices, kept across runs -*- C++
//-*-===//
//
// cuDNN times its convolution algorithms on the first block of each
// geometry (CudnnConv.h): 0.54 s for ResNet-50's 27 geometries on an H100,
// paid again by every process, and a cohort starts one per slide. The winner
// of each geometry (its algorithm and the math type it was timed with) is
// saved in a small text file per GPU model, cuDNN version and precision, and
// the next process reads it instead of searching. The file is replaced
// atomically, so processes sharing it see one whole version or another; an
// unreadable or foreign file is ignored (and rewritten). Plain C++: tested
// on machines without a GPU.
//
// Example:
// "$XDG_CACHE_HOME/sstep/cudnn-NVIDIA_H100_80GB_HBM3-sm90-91400-fp16.txt":
//   sstep-cudnn-algorithms 1
//   1 64 64 3 3 1 1 1 1 1 1 1 1 1
//   (the 12 numbers of ConvShape::geometry(), then algorithm and math type)
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CUDA_ALGORITHMCACHE_H
#define SSTEP_RUNTIME_CUDA_ALGORITHMCACHE_H

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace sstep::cuda {

using ConvGeometry = std::array<int64_t, 12>;

struct AlgorithmChoice {
  int algorithm = 0;
  int mathType = 0;
  bool operator==(const AlgorithmChoice &o) const {
    return algorithm == o.algorithm && mathType == o.mathType;
  }
};

class AlgorithmCache {
public:
  /// The choices saved in `path`; none when it is missing, unreadable or
  /// not a cache of this format. An empty path keeps choices in memory
  /// only.
  explicit AlgorithmCache(std::string path);

  std::optional<AlgorithmChoice> find(const ConvGeometry &geometry) const;
  /// Records `choice` and saves the file; a file that cannot be written
  /// (a read-only home) leaves the choice in memory and says why in
  /// problem().
  void remember(const ConvGeometry &geometry, AlgorithmChoice choice);

  size_t size() const { return choices.size(); }
  const std::string &path() const { return path_; }
  /// Why the file was not read or written; empty when it was.
  const std::string &problem() const { return problem_; }

private:
  std::string path_, problem_;
  std::map<ConvGeometry, AlgorithmChoice> choices;
};

/// The cache file for a GPU `device` (its name and compute capability, as
/// "NVIDIA H100 80GB HBM3 sm90"), cuDNN `version` and `precision`, in
/// $SSTEP_CACHE_DIR, else $XDG_CACHE_HOME/sstep, else $HOME/.cache/sstep;
/// empty when none of these is set. Characters other than letters, digits,
/// '.' and '-' in the device's name become '_'.
std::string algorithmCachePath(const std::string &device, int64_t version,
                               const std::string &precision);

} // namespace sstep::cuda

#endif // SSTEP_RUNTIME_CUDA_ALGORITHMCACHE_H
