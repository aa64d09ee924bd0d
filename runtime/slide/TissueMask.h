//===- TissueMask.h - Where on a slide the tissue is ------------*- C++ -*-===//
//
// Most of a slide is glass. Tissue is found at a low resolution by Otsu's
// threshold on HSV saturation (glass is grey-white, stained tissue is
// coloured), cleaned by a small morphological open (specks) and close
// (holes). The mask then answers, for any tile grid on any level, which tiles
// may hold tissue; the answer errs on the side of tissue (a tile touching a
// tissue mask pixel, widened by a margin, counts), so skipping the others
// never drops tissue at its borders.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SLIDE_TISSUEMASK_H
#define SSTEP_RUNTIME_SLIDE_TISSUEMASK_H

#include "runtime/slide/SlideReader.h"

#include <cstdint>
#include <vector>

namespace sstep::slide {

struct TissueMaskOptions {
  /// The mask is computed at the first level whose larger side is at most
  /// this, or at the smallest level averaged down to it.
  int64_t maxSide = 2048;
  /// Saturation (0-255) below which nothing is tissue, whatever Otsu says:
  /// on a blank slide Otsu would split the glass's noise.
  int minThreshold = 12;
  int openRadius = 1;
  int closeRadius = 2;
};

class TissueMask {
public:
  static TissueMask compute(const SlideReader &slide,
                            const TissueMaskOptions &options = {});
  /// From a mask image made elsewhere (QuPath, HistoQC, `sstep-slide
  /// mask`): a PNG covering the whole slide at any resolution, non-zero
  /// pixels tissue. Throws SlideError naming `path` when it cannot be read
  /// or its aspect ratio is not the slide's (within 5%).
  static TissueMask fromFile(const std::string &path, const SlideReader &slide);
  /// fromFile(maskFile) when a file is given, else compute().
  static TissueMask forSlide(const SlideReader &slide,
                             const std::string &maskFile);
  /// From a saturation image directly (what compute() reads), for tests.
  static TissueMask fromSaturation(std::vector<uint8_t> saturation,
                                   int64_t width, int64_t height,
                                   double level0PerPixel,
                                   const TissueMaskOptions &options);

  int64_t width() const { return width_; }
  int64_t height() const { return height_; }
  /// 1 for tissue, 0 for glass; row-major.
  const std::vector<uint8_t> &pixels() const { return mask_; }
  bool at(int64_t x, int64_t y) const { return mask_[y * width_ + x] != 0; }
  int threshold() const { return threshold_; }
  /// Level-0 pixels per mask pixel.
  double level0PerPixel() const { return level0PerPixel_; }
  double tissueFraction() const;

  /// For a grid of tileW x tileH tiles over a level of levelW x levelH
  /// pixels: 1 for each tile (row-major) whose rectangle, widened by
  /// `margin` level pixels on each side, overlaps a tissue mask pixel.
  std::vector<uint8_t> tileGrid(int64_t levelW, int64_t levelH, int64_t tileW,
                                int64_t tileH, int64_t margin) const;
  /// The share of tissue in the mask pixels that rectangle [x, x+w) x
  /// [y, y+h) of a level of levelW x levelH pixels overlaps: 0 for glass,
  /// 1 for a rectangle wholly inside tissue.
  double tissueShare(int64_t levelW, int64_t levelH, int64_t x, int64_t y,
                     int64_t w, int64_t h) const;

private:
  /// Fills the summed-area table from mask_.
  void sum();
  /// Any tissue in mask pixels [x0, x1) x [y0, y1), by the summed table.
  bool anyTissue(int64_t x0, int64_t y0, int64_t x1, int64_t y1) const {
    return tissueIn(x0, y0, x1, y1) > 0;
  }
  /// Tissue pixels in mask pixels [x0, x1) x [y0, y1), clamped to the mask.
  int64_t tissueIn(int64_t x0, int64_t y0, int64_t x1, int64_t y1) const;

  int64_t width_ = 0, height_ = 0;
  std::vector<uint8_t> mask_;
  std::vector<uint32_t> summed_; // (width+1) x (height+1) summed-area table
  int threshold_ = 0;
  double level0PerPixel_ = 1;
};

/// Otsu's threshold of a 256-bin histogram: the first value of the upper class.
int otsuThreshold(const std::vector<uint64_t> &histogram);

} // namespace sstep::slide

#endif // SSTEP_RUNTIME_SLIDE_TISSUEMASK_H
