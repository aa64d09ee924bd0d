//===- InfoRead.cpp - sstep-slide info and read ---------------------------===//

#include "runtime/slide/Png.h"
#include "runtime/slide/SlideReader.h"
#include "tools/common/Args.h"
#include "tools/common/JsonString.h"
#include "tools/sstep-slide/Commands.h"

#include <cstdio>
#include <iostream>
#include <sstream>

namespace sstep::tool {
namespace {

std::string number(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

void printJson(const slide::SlideReader &s) {
  const slide::SlideProperties &p = s.properties();
  std::cout << "{\n  \"file\": " << jsonString(s.path())
            << ",\n  \"vendor\": " << jsonString(p.vendor)
            << ",\n  \"backend\": " << jsonString(p.backend)
            << ",\n  \"mpp_x\": " << number(p.mppX)
            << ",\n  \"mpp_y\": " << number(p.mppY)
            << ",\n  \"magnification\": " << number(p.magnification)
            << ",\n  \"levels\": [";
  for (int l = 0; l < s.levelCount(); ++l) {
    const slide::LevelInfo &i = s.level(l);
    std::cout << (l ? "," : "") << "\n    {\"width\": " << i.width
              << ", \"height\": " << i.height
              << ", \"downsample\": " << number(i.downsample)
              << ", \"tile_width\": " << i.tileWidth
              << ", \"tile_height\": " << i.tileHeight
              << ", \"compression\": " << jsonString(i.compression) << "}";
  }
  std::cout << "\n  ],\n  \"associated\": [";
  const auto &assoc = s.associatedImages();
  for (std::size_t i = 0; i < assoc.size(); ++i)
    std::cout << (i ? "," : "")
              << "\n    {\"name\": " << jsonString(assoc[i].name)
              << ", \"width\": " << assoc[i].width
              << ", \"height\": " << assoc[i].height << "}";
  std::cout << (assoc.empty() ? "]" : "\n  ]") << "\n}\n";
}

void printText(const slide::SlideReader &s) {
  const slide::SlideProperties &p = s.properties();
  std::cout << "file:          " << s.path() << "\n"
            << "vendor:        " << p.vendor << " (read with " << p.backend
            << ")\n";
  if (p.mppX > 0)
    std::cout << "mpp:           " << p.mppX << " x " << p.mppY << "\n";
  if (p.magnification > 0)
    std::cout << "magnification: " << p.magnification << "x\n";
  std::cout << "levels:        " << s.levelCount() << "\n";
  for (int l = 0; l < s.levelCount(); ++l) {
    const slide::LevelInfo &i = s.level(l);
    std::cout << "  " << l << ": " << i.width << " x " << i.height
              << "  downsample " << number(i.downsample) << "  tile "
              << i.tileWidth << " x " << i.tileHeight << "  " << i.compression
              << "\n";
  }
  for (const slide::AssociatedImage &a : s.associatedImages())
    std::cout << "associated:    " << a.name << " " << a.width << " x "
              << a.height << "\n";
}

} // namespace

int runInfo(const std::vector<std::string> &argv) {
  Args args(argv, {"json"}, {});
  if (args.positional().size() != 1)
    throw UsageError("info takes one FILE");
  auto slide = slide::SlideReader::open(args.positional()[0]);
  if (args.has("json"))
    printJson(*slide);
  else
    printText(*slide);
  return 0;
}

int runRead(const std::vector<std::string> &argv) {
  Args args(argv, {},
            {"level", "region", "associated", "o", "threads", "cache-mb"});
  if (args.positional().size() != 1)
    throw UsageError("read takes one FILE");
  std::string out = args.require("o");
  if (args.has("associated")) {
    auto slide = slide::SlideReader::open(args.positional()[0]);
    slide::RGBImage image = slide->readAssociated(args.get("associated"));
    slide::writePng(out, image.width, image.height, 3, image.pixels.data());
    return 0;
  }
  int level = int(args.getInt("level", 0));
  std::vector<int64_t> r = args.getInts("region", 4);
  slide::ReaderOptions options;
  options.threads = unsigned(std::max<int64_t>(0, args.getInt("threads", 0)));
  options.cacheBytes =
      std::size_t(std::max<int64_t>(0, args.getInt("cache-mb", 256))) << 20;
  auto slide = slide::SlideReader::open(args.positional()[0], options);
  slide::RGBImage image = slide->readRegion(level, r[0], r[1], r[2], r[3]);
  slide::writePng(out, image.width, image.height, 3, image.pixels.data());
  return 0;
}

} // namespace sstep::tool
