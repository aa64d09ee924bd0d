//===- StreamModel.h - What a slide run holds beside its tiles --*- C++ -*-===//
//
// A slide run streams: the reader keeps decoded source tiles for the next
// windows, a thread decodes input regions ahead, and the writer queues
// output blocks (a .npy run reads ahead and queues writes the same way,
// with no tiles to decode). Each buffer grows with the tile's width, so a
// budget that counted only the tile set let a 100,000-pixel-wide strip run
// at 2.7x its budget. The planner adds these bytes to the tile set when it fits
// tiles to a budget, and the slide run sizes its buffers by the same figures,
// so the prediction is what the run holds.
//
// Example: strips reading 96 x 4096 input windows from a level stored in
// 256 x 256 JPEG tiles keep 2 x 17 decoded tiles (6.4 MiB), decode 2
// regions ahead (2 x 96 x 4096 x 15 bytes: float pixels and the RGB they
// come from, 11 MiB) and queue 2 output blocks.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_PLAN_STREAMMODEL_H
#define SSTEP_RUNTIME_PLAN_STREAMMODEL_H

#include "runtime/core/Region.h"

#include <cstdint>

namespace sstep::plan {

struct StreamModel {
  /// The level's stored tile (rows, columns); {0, 0} when it has none (the
  /// reader then decodes each region on its own, caching nothing).
  Size2 sourceTile{0, 0};
  /// Input regions decoded ahead of the tiles.
  int64_t readAhead = 2;
  /// What a pixel read ahead holds: float32 per channel and, from a slide,
  /// the RGB bytes it was decoded from.
  int64_t readBytesPerPixel = 3 * 4 + 3;
  /// Output blocks the writer may queue.
  int64_t writeQueue = 2;

  /// Decoded source tiles covering one input window, which the window
  /// below (sharing all but its new rows) reads again.
  int64_t readerCacheBytes(const Region &window) const {
    if (sourceTile[0] <= 0 || sourceTile[1] <= 0 || window.empty())
      return 0;
    auto spanned = [](int64_t pixels, int64_t tile) {
      return (pixels + tile - 2) / tile + 1; // tiles a run of `pixels` meets
    };
    return spanned(window.axes[0].size(), sourceTile[0]) *
           spanned(window.axes[1].size(), sourceTile[1]) * sourceTile[0] *
           sourceTile[1] * 3;
  }
  /// Regions decoded ahead.
  int64_t readAheadBytes(const Region &window) const {
    return readAhead * window.pixels() * readBytesPerPixel;
  }
  /// What the output encoders hold while the tiles run, and after them
  /// while pyramids are built (pipeline::encoderBytes): fixed per output.
  int64_t encoderBytes = 0;
  int64_t finishBytes = 0;

  int64_t bytes(const Region &window, int64_t sinkBlockBytes) const {
    return readerCacheBytes(window) + readAheadBytes(window) +
           writeQueue * sinkBlockBytes + encoderBytes;
  }
};

} // namespace sstep::plan

#endif // SSTEP_RUNTIME_PLAN_STREAMMODEL_H
