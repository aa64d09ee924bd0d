//===- Overlay.cpp - sstep-slide overlay: a heatmap over a thumbnail ------===//
//
// A quick look at a result: the heatmap (a uint8 TIFF from `sstep-run
// --output-scale`, any size and pyramid) is resampled onto a thumbnail of the
// slide, coloured with an inferno-like map, and blended where it is hot, so
// cold regions still show the tissue.
//
//===----------------------------------------------------------------------===//

#include "runtime/slide/Png.h"
#include "runtime/slide/SlideError.h"
#include "runtime/slide/SlideReader.h"
#include "tools/common/Args.h"
#include "tools/sstep-slide/Commands.h"

#include <algorithm>
#include <cmath>
#include <iostream>

namespace sstep::tool {
namespace {

using slide::RGBImage;
using slide::SlideReader;

/// A level is read whole to make a thumbnail; beyond this many pixels the
/// slide lacks the pyramid levels a preview needs.
constexpr int64_t kMaxLevelPixels = int64_t(1) << 28;

/// The smallest level at least `maxSide` on its longer side (level 0 when
/// none is), read whole.
RGBImage readSmallLevel(const SlideReader &reader, const std::string &path,
                        int64_t maxSide) {
  int chosen = 0;
  for (int l = 0; l < reader.levelCount(); ++l) {
    const slide::LevelInfo &info = reader.level(l);
    if (std::max(info.width, info.height) >= maxSide)
      chosen = l;
  }
  const slide::LevelInfo &info = reader.level(chosen);
  if (info.width * info.height > kMaxLevelPixels)
    throw slide::SlideError(
        path, "no pyramid level near " + std::to_string(maxSide) +
                  " pixels to preview (level " + std::to_string(chosen) +
                  " is " + std::to_string(info.width) + " x " +
                  std::to_string(info.height) + ")");
  return reader.readRegion(chosen, 0, 0, info.width, info.height);
}

/// `image` resampled to `width` x `height` (box average when shrinking,
/// nearest when growing): channel `c` of every pixel.
std::vector<float> resample(const RGBImage &image, int64_t width,
                            int64_t height, int c) {
  std::vector<float> out(size_t(width * height));
  double sx = double(image.width) / double(width);
  double sy = double(image.height) / double(height);
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x) {
      int64_t x0 = int64_t(x * sx), y0 = int64_t(y * sy);
      int64_t x1 =
          std::max(x0 + 1, std::min(image.width, int64_t((x + 1) * sx)));
      int64_t y1 =
          std::max(y0 + 1, std::min(image.height, int64_t((y + 1) * sy)));
      double sum = 0;
      for (int64_t v = y0; v < y1; ++v)
        for (int64_t u = x0; u < x1; ++u)
          sum += image.at(u, v)[c];
      out[size_t(y * width + x)] = float(sum / double((x1 - x0) * (y1 - y0)));
    }
  return out;
}

/// An inferno-like map of t in [0, 1]: black, purple, red, orange, yellow.
void colourOf(double t, double rgb[3]) {
  static const double stops[5][3] = {
      {0, 0, 4}, {87, 16, 110}, {188, 55, 84}, {249, 142, 9}, {252, 255, 164}};
  double p = std::clamp(t, 0.0, 1.0) * 4;
  int i = std::min(3, int(p));
  double f = p - i;
  for (int c = 0; c < 3; ++c)
    rgb[c] = stops[i][c] + f * (stops[i + 1][c] - stops[i][c]);
}

double smoothstep(double e0, double e1, double v) {
  double t = std::clamp((v - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

} // namespace

int runOverlay(const std::vector<std::string> &argv) {
  Args args(argv, {}, {"o", "max-side", "alpha"});
  if (args.positional().size() != 2)
    throw UsageError("overlay takes SLIDE HEATMAP");
  std::string out = args.require("o");
  int64_t maxSide = args.getInt("max-side", 1024);
  if (maxSide < 16 || maxSide > 16384)
    throw UsageError("--max-side must be in 16..16384");
  double alpha =
      args.has("alpha") ? parseDouble("--alpha", args.get("alpha")) : 0.75;
  if (!(alpha >= 0 && alpha <= 1))
    throw UsageError("--alpha must be in 0..1");

  const std::string &slidePath = args.positional()[0];
  const std::string &heatPath = args.positional()[1];
  RGBImage level =
      readSmallLevel(*SlideReader::open(slidePath), slidePath, maxSide);
  double shrink = std::min(
      1.0, double(maxSide) / double(std::max(level.width, level.height)));
  int64_t width = std::max<int64_t>(1, std::lround(level.width * shrink));
  int64_t height = std::max<int64_t>(1, std::lround(level.height * shrink));
  std::vector<float> rgb[3];
  for (int c = 0; c < 3; ++c)
    rgb[c] = resample(level, width, height, c);
  RGBImage heatLevel;
  try {
    heatLevel = readSmallLevel(*SlideReader::open(heatPath), heatPath, maxSide);
  } catch (const slide::SlideError &e) {
    throw slide::SlideError(heatPath,
                            std::string("cannot read it as a heatmap (a "
                                        "uint8 TIFF, such as sstep-run "
                                        "--output-scale writes): ") +
                                e.what());
  }
  std::vector<float> heat = resample(heatLevel, width, height, 0);

  std::vector<uint8_t> png(size_t(width * height * 3));
  double hottest = 0;
  for (size_t i = 0; i < heat.size(); ++i) {
    double t = heat[i] / 255.0;
    hottest = std::max(hottest, t);
    double colour[3];
    colourOf(t, colour);
    double a = alpha * smoothstep(0.05, 0.35, t);
    for (int c = 0; c < 3; ++c)
      png[3 * i + c] =
          uint8_t(std::lround(rgb[c][i] + a * (colour[c] - rgb[c][i])));
  }
  slide::writePng(out, width, height, 3, png.data());
  std::cout << "overlay " << width << " x " << height << ", hottest " << hottest
            << "\n";
  return 0;
}

} // namespace sstep::tool
