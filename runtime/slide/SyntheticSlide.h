//===- SyntheticSlide.h - Deterministic tissue-like test slides --*- C++
//-*-===//
//
// Tests and benchmarks need slides of any size without shipping binaries. The
// image is H&E-like: pink tissue blobs on a near-white background, purple
// nuclei at two scales; smooth, so it compresses like real tissue rather than
// like noise. Nuclei crowd in a few hot spots and thin out elsewhere. Every
// pixel is a pure function of (seed, x, y), so any band can
// be rendered alone and two runs give identical files.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_SYNTHETICSLIDE_H
#define SSTEP_RUNTIME_SLIDE_SYNTHETICSLIDE_H

#include "runtime/slide/TiffWriter.h"

#include <cstdint>
#include <vector>

namespace sstep::slide {

class SyntheticTissue {
public:
  SyntheticTissue(int64_t width, int64_t height, uint64_t seed);

  /// RGB of rows [y, y + rows), full width, packed.
  void renderRows(int64_t y, int64_t rows, uint8_t *rgb) const;
  /// Tissue density at a pixel: > 0 inside tissue (before edge blending).
  double density(double x, double y) const;
  /// How crowded nuclei are near a pixel: 0.15 (sparse) to 2.35 (hot spot).
  double cellularity(double x, double y) const;

  static constexpr uint8_t kBackground[3] = {242, 241, 243};

private:
  struct Blob {
    double cx, cy, rx, ry, cosA, sinA;
  };
  /// The nucleus of grid cell (cx, cy) at `cell` px: centre and radius, or
  /// radius 0 when the cell has none.
  void nucleus(int64_t cx, int64_t cy, int cell, double &x, double &y,
               double &r) const;
  struct Nucleus {
    double x = 0, y = 0, r = 0;
  };
  /// The nuclei of the cells that row `y` crosses, one per cell column.
  std::vector<Nucleus> nucleiOfRow(int64_t y, int cell) const;
  void shadePixel(int64_t x, int64_t y, double d,
                  const Nucleus *const nuclei[2], uint8_t *rgb) const;

  int64_t width_;
  uint64_t seed_;
  std::vector<Blob> blobs_, hotspots_;
  double waveX_, waveY_;
};

/// Renders a synthetic slide into a pyramidal TIFF at `path` (the writer's
/// width and height come from `options`).
void writeSyntheticSlide(const std::string &path,
                         const TiffWriterOptions &options, uint64_t seed);

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_SYNTHETICSLIDE_H
