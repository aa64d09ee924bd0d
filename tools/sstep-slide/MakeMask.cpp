//===- MakeMask.cpp - sstep-slide mask and mkslide ------------------------===//

#include "runtime/slide/Png.h"
#include "runtime/slide/SyntheticSlide.h"
#include "runtime/slide/TissueMask.h"
#include "tools/common/Args.h"
#include "tools/sstep-slide/Commands.h"

#include <iostream>

namespace sstep::tool {

int runMask(const std::vector<std::string> &argv) {
  Args args(argv, {}, {"o", "max-side", "tiles", "margin"});
  if (args.positional().size() != 1)
    throw UsageError("mask takes one FILE");
  std::string out = args.require("o");
  slide::TissueMaskOptions options;
  options.maxSide = args.getInt("max-side", options.maxSide);
  if (options.maxSide < 16)
    throw UsageError("--max-side must be at least 16");
  auto slide = slide::SlideReader::open(args.positional()[0]);
  slide::TissueMask mask = slide::TissueMask::compute(*slide, options);
  std::vector<uint8_t> png(mask.pixels().size());
  for (std::size_t i = 0; i < png.size(); ++i)
    png[i] = mask.pixels()[i] ? 255 : 0;
  slide::writePng(out, mask.width(), mask.height(), 1, png.data());
  std::cout << "mask " << mask.width() << " x " << mask.height()
            << ", threshold " << mask.threshold() << ", tissue "
            << mask.tissueFraction() * 100 << "%\n";
  if (args.has("tiles")) {
    int64_t t = args.getInt("tiles", 256);
    if (t <= 0)
      throw UsageError("--tiles must be positive");
    const slide::LevelInfo &l0 = slide->level(0);
    auto grid =
        mask.tileGrid(l0.width, l0.height, t, t, args.getInt("margin", 0));
    int64_t cols = (l0.width + t - 1) / t, kept = 0;
    for (std::size_t i = 0; i < grid.size(); ++i)
      if (grid[i]) {
        std::cout << "tile " << int64_t(i) % cols << " " << int64_t(i) / cols
                  << "\n";
        ++kept;
      }
    std::cout << "tissue tiles " << kept << " of " << grid.size() << "\n";
  }
  return 0;
}

int runMkslide(const std::vector<std::string> &argv) {
  Args args(argv, {"bigtiff"},
            {"o", "size", "tile", "compression", "quality", "seed", "mpp"});
  if (!args.positional().empty())
    throw UsageError("mkslide takes no FILE; use -o");
  std::vector<int64_t> size = args.getInts("size", 2);
  slide::TiffWriterOptions options;
  options.width = size[0];
  options.height = size[1];
  options.tileSize = uint32_t(args.getInt("tile", 256));
  try {
    options.compression =
        slide::parseCompression(args.get("compression", "jpeg"));
  } catch (const std::invalid_argument &e) {
    throw UsageError(e.what());
  }
  options.jpegQuality = int(args.getInt("quality", 90));
  if (args.has("bigtiff"))
    options.bigTiff = slide::TiffWriterOptions::BigTiff::Yes;
  options.mpp = args.has("mpp") ? parseDouble("--mpp", args.get("mpp")) : 0.25;
  options.description = "SSTEP synthetic slide, seed " + args.get("seed", "1");
  slide::writeSyntheticSlide(args.require("o"), options,
                             uint64_t(args.getInt("seed", 1)));
  return 0;
}

} // namespace sstep::tool
