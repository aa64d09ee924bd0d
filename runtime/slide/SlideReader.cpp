//===- SlideReader.cpp - Opening a slide with the right backend -----------===//

#include "runtime/slide/SlideReader.h"
#include "runtime/slide/OpenSlideSlide.h"
#include "runtime/slide/TiffHandle.h"
#include "runtime/slide/TiffSlide.h"

#include <cstring>
#include <fstream>
#include <sys/stat.h>

namespace sstep::slide {
namespace {

bool hasTiffMagic(const std::string &path) {
  char magic[4] = {};
  std::ifstream(path, std::ios::binary).read(magic, 4);
  return !std::memcmp(magic, "II*\0", 4) || !std::memcmp(magic, "MM\0*", 4) ||
         !std::memcmp(magic, "II+\0", 4) || !std::memcmp(magic, "MM\0+", 4);
}

// OpenSlide's vendor detection parses every tag of every directory of a TIFF
// itself and allocates each value at the size the tag claims before reading
// it: a fuzzed ImageDescription claiming 4 GB made it allocate 4 GB for a
// 20 KB file. libtiff checks those sizes against the file and warns; such a
// value cannot be in the file, so the file is refused before OpenSlide sees
// it. Returns libtiff's warning or error, or "" for a file without one.
std::string unreadableTagValue(const std::string &path) {
  std::unique_ptr<TiffHandle> handle;
  try {
    handle = std::make_unique<TiffHandle>(path, "r");
  } catch (const SlideError &e) {
    // OpenSlide's TIFF drivers read through libtiff too, so a TIFF libtiff
    // cannot open is no slide to them either; and their vendor detection
    // would parse its tags anyway (4 GB for a fuzzed 20 KB file libtiff
    // opens no directory of).
    std::string what = e.what();
    return what.substr(what.find(": ") + 2);
  }
  auto defect = [&]() -> std::string {
    for (const std::string &w : handle->warnings())
      if (w.find("Sanity check on size") != std::string::npos ||
          w.find("IO error during reading") != std::string::npos)
        return w;
    return "";
  };
  while (defect().empty() && TIFFReadDirectory(handle->get()))
    ;
  return defect();
}

} // namespace

SlideReader::~SlideReader() = default;

const LevelInfo &SlideReader::level(int level) const {
  if (level < 0 || level >= levelCount())
    throw SlideError(path_, "level " + std::to_string(level) +
                                " out of range (the slide has " +
                                std::to_string(levelCount()) + " levels, 0.." +
                                std::to_string(levelCount() - 1) + ")");
  return levels_[level];
}

void SlideReader::checkRegion(int lvl, int64_t x, int64_t y, int64_t w,
                              int64_t h) const {
  const LevelInfo &info = level(lvl);
  auto region = "region " + std::to_string(x) + "," + std::to_string(y) + "," +
                std::to_string(w) + "," + std::to_string(h);
  if (w <= 0 || h <= 0)
    throw SlideError(ErrorSite{path_, lvl}, region + " is empty");
  if (w > (int64_t(1) << 31) / h)
    throw SlideError(ErrorSite{path_, lvl}, region + " is too large");
  if (x >= info.width || y >= info.height || x + w <= 0 || y + h <= 0)
    throw SlideError(ErrorSite{path_, lvl},
                     region + " is out of bounds: the level is " +
                         std::to_string(info.width) + "x" +
                         std::to_string(info.height) +
                         " (coordinates are in the level's own pixels)");
}

std::unique_ptr<SlideReader> SlideReader::open(const std::string &path,
                                               const ReaderOptions &options) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    throw SlideError(path, "no such file");
  if (!S_ISREG(st.st_mode))
    throw SlideError(path, "not a regular file");
  if (options.allowOpenSlide && hasTiffMagic(path)) {
    std::string defect = unreadableTagValue(path);
    if (!defect.empty())
      throw SlideError(path, "not a slide: " + defect);
  }
  // OpenSlide knows vendor TIFF variants (Philips, Ventana) that only look
  // like generic pyramids; those, and non-TIFF formats, go to OpenSlide.
  std::string vendor =
      options.allowOpenSlide ? OpenSlideSlide::detectVendor(path) : "";
  bool libtiffFirst =
      vendor.empty() || vendor == "generic-tiff" || vendor == "aperio";
  std::string libtiffError;
  bool malformed = false;
  if (libtiffFirst) {
    try {
      if (auto slide = TiffSlide::open(path, options))
        return slide;
      libtiffError = "no tiled pyramid that libtiff can decode";
    } catch (const SlideError &e) {
      libtiffError = e.what();
      libtiffError = libtiffError.substr(libtiffError.find(": ") + 2);
      malformed = true;
    }
  }
  // A plain or Aperio TIFF that libtiff found malformed is not handed to
  // OpenSlide's generic TIFF or Aperio driver, which read it with libtiff
  // too, less carefully: fuzzed ones made each allocate 3.7 GB for a 64 x 64
  // tile.
  if (malformed && (vendor == "generic-tiff" || vendor == "aperio"))
    throw SlideError(path, "not a slide: " + libtiffError);
  if (!vendor.empty())
    return std::make_unique<OpenSlideSlide>(path, options);
  throw SlideError(
      path,
      "not a slide: " + libtiffError +
          (options.allowOpenSlide ? "; OpenSlide does not recognise it" : ""));
}

} // namespace sstep::slide
