//===- TiffLayout.cpp - Which TIFF directories are levels -----------------===//
//
// Classifies the directories of a TIFF into pyramid levels and associated
// images, and reads the vendor metadata (Aperio's ImageDescription, or the
// resolution tags of a generic TIFF).
//
//===----------------------------------------------------------------------===//

#include "runtime/slide/TiffSlide.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace sstep::slide {
namespace {

std::string description(TIFF *tiff) {
  const char *text = nullptr;
  if (TIFFGetField(tiff, TIFFTAG_IMAGEDESCRIPTION, &text) && text)
    return text;
  return {};
}

std::string trim(const std::string &s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  std::size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

/// Aperio's "key = value" fields after the first '|' of the description.
std::map<std::string, std::string> aperioFields(const std::string &desc) {
  std::map<std::string, std::string> fields;
  std::stringstream in(desc);
  std::string item;
  std::getline(in, item, '|'); // the free-text header
  while (std::getline(in, item, '|')) {
    std::size_t eq = item.find('=');
    if (eq != std::string::npos)
      fields[trim(item.substr(0, eq))] = trim(item.substr(eq + 1));
  }
  return fields;
}

/// The name Aperio gives a stripped directory in its description's second
/// line ("label 387x463", "macro 1280x431"), or "".
std::string aperioAssociatedName(const std::string &desc) {
  std::size_t nl = desc.find('\n');
  if (nl == std::string::npos)
    return {};
  std::string second = desc.substr(nl + 1);
  for (const char *name : {"label", "macro"})
    if (second.rfind(std::string(name) + " ", 0) == 0)
      return name;
  return {};
}

std::string compressionName(uint16_t c) {
  switch (c) {
  case COMPRESSION_NONE:
    return "none";
  case COMPRESSION_JPEG:
  case COMPRESSION_OJPEG:
    return "jpeg";
  case COMPRESSION_ADOBE_DEFLATE:
  case COMPRESSION_DEFLATE:
    return "deflate";
  case COMPRESSION_LZW:
    return "lzw";
  case COMPRESSION_ZSTD:
    return "zstd";
  case COMPRESSION_WEBP:
    return "webp";
  case COMPRESSION_LZMA:
    return "lzma";
  case COMPRESSION_PACKBITS:
    return "packbits";
  case 33003:
  case 33005:
    return "jpeg2000";
  default:
    return "tiff-" + std::to_string(c);
  }
}

double parseDouble(const std::string &s) {
  char *end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  return end != s.c_str() ? v : 0.0;
}

/// The value of XML attribute `name="..."` in the first <Pixels> element of
/// an OME-XML description, or "".
std::string omePixelsAttribute(const std::string &xml,
                               const std::string &name) {
  std::size_t pixels = xml.find("<Pixels ");
  if (pixels == std::string::npos)
    pixels = xml.find(":Pixels "); // a namespace prefix
  if (pixels == std::string::npos)
    return {};
  std::size_t end = xml.find('>', pixels);
  std::string element = xml.substr(pixels, end - pixels);
  std::size_t at = element.find(" " + name + "=\"");
  if (at == std::string::npos)
    return {};
  std::size_t from = at + name.size() + 3;
  return element.substr(from, element.find('"', from) - from);
}

/// Microns per OME length unit (UnitsLength symbols); 0 when unknown.
double omeMicrons(const std::string &unit) {
  if (unit.empty() || unit == "\xC2\xB5m" || unit == "um")
    return 1.0; // OME's default unit is the micrometre
  if (unit == "nm")
    return 1e-3;
  if (unit == "mm")
    return 1e3;
  return 0.0;
}

} // namespace

bool TiffSlide::scan(TiffHandle &handle) {
  TIFF *tiff = handle.get();
  const std::string first = description(tiff);
  const bool aperio = first.rfind("Aperio", 0) == 0;
  const bool ome = first.find("<OME") != std::string::npos;
  std::vector<TiffDirectory> tiled;
  std::vector<uint64_t> subIfds;
  tdir_t dir = 0;
  for (;;) {
    uint32_t w = 0, h = 0, subfile = 0;
    TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_SUBFILETYPE, &subfile);
    uint64_t offset = TIFFCurrentDirOffset(tiff);
    if (TIFFIsTiled(tiff)) {
      if (!(subfile & FILETYPE_MASK))
        tiled.push_back({dir, offset, w, h, readTileFormat(tiff)});
      uint16_t count = 0;
      uint64_t *offsets = nullptr;
      // Only the first image's SubIFDs: later same-size images are planes.
      if (dir == 0 && TIFFGetField(tiff, TIFFTAG_SUBIFD, &count, &offsets))
        subIfds.assign(offsets, offsets + count);
    } else if (aperio) {
      std::string name =
          dir == 1 ? "thumbnail" : aperioAssociatedName(description(tiff));
      if (!name.empty() && !associatedDirs_.count(name)) {
        associatedDirs_[name] = offset;
        associated_.push_back({name, w, h});
      }
    }
    ++dir;
    if (TIFFLastDirectory(tiff))
      break;
    // The chain names another directory: failing to read it means a
    // truncated or damaged file, not the end of the slide.
    if (!TIFFReadDirectory(tiff))
      throw SlideError(path_, "cannot read TIFF directory " +
                                  std::to_string(dir) +
                                  " (truncated file?): " + handle.takeErrors());
  }
  addSubIfds(handle, subIfds, tiled);
  if (tiled.empty())
    return false;
  // A level libtiff has no codec for (Aperio JPEG 2000) is OpenSlide's job.
  for (const TiffDirectory &d : tiled)
    if (!TIFFIsCODECConfigured(d.format.compression))
      return false;
  properties_.vendor = aperio ? "aperio" : ome ? "ome-tiff" : "generic-tiff";
  properties_.backend = "libtiff";
  addLevels(std::move(tiled));
  handle.setDirectoryAt(levelDirs_[0].offset, ErrorSite{path_});
  readVendorProperties(handle);
  return true;
}

void TiffSlide::addSubIfds(TiffHandle &handle,
                           const std::vector<uint64_t> &offsets,
                           std::vector<TiffDirectory> &tiled) {
  TIFF *tiff = handle.get();
  tdir_t order = tdir_t(1000000); // after the main chain when sizes tie
  for (uint64_t offset : offsets) {
    handle.setDirectoryAt(offset, ErrorSite{path_});
    uint32_t w = 0, h = 0;
    TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &h);
    if (TIFFIsTiled(tiff))
      tiled.push_back({order++, offset, w, h, readTileFormat(tiff)});
  }
}

void TiffSlide::addLevels(std::vector<TiffDirectory> tiled) {
  std::sort(tiled.begin(), tiled.end(),
            [](const TiffDirectory &a, const TiffDirectory &b) {
              return a.width != b.width ? a.width > b.width : a.dir < b.dir;
            });
  // Same-size directories are planes or channels (OME-TIFF), not levels.
  for (const TiffDirectory &d : tiled)
    if (levelDirs_.empty() || d.width < levelDirs_.back().width)
      levelDirs_.push_back(d);
  const TiffDirectory &base = levelDirs_[0];
  for (const TiffDirectory &d : levelDirs_) {
    LevelInfo info;
    info.width = d.width;
    info.height = d.height;
    info.downsample = (double(base.width) / double(d.width) +
                       double(base.height) / double(d.height)) /
                      2.0;
    info.tileWidth = d.format.tileWidth;
    info.tileHeight = d.format.tileHeight;
    info.compression = compressionName(d.format.compression);
    levels_.push_back(info);
  }
}

void TiffSlide::readVendorProperties(TiffHandle &handle) {
  TIFF *tiff = handle.get();
  properties_.description = description(tiff);
  if (properties_.vendor == "ome-tiff") {
    const std::string &xml = properties_.description;
    double x = parseDouble(omePixelsAttribute(xml, "PhysicalSizeX"));
    double y = parseDouble(omePixelsAttribute(xml, "PhysicalSizeY"));
    properties_.mppX =
        x * omeMicrons(omePixelsAttribute(xml, "PhysicalSizeXUnit"));
    properties_.mppY =
        y * omeMicrons(omePixelsAttribute(xml, "PhysicalSizeYUnit"));
    return;
  }
  if (properties_.vendor == "aperio") {
    auto fields = aperioFields(properties_.description);
    if (fields.count("MPP"))
      properties_.mppX = properties_.mppY = parseDouble(fields["MPP"]);
    if (fields.count("AppMag"))
      properties_.magnification = parseDouble(fields["AppMag"]);
    return;
  }
  float xres = 0, yres = 0;
  uint16_t unit = RESUNIT_NONE;
  TIFFGetFieldDefaulted(tiff, TIFFTAG_RESOLUTIONUNIT, &unit);
  double micronsPerUnit = unit == RESUNIT_CENTIMETER ? 1e4
                          : unit == RESUNIT_INCH     ? 25400.0
                                                     : 0.0;
  if (micronsPerUnit > 0 && TIFFGetField(tiff, TIFFTAG_XRESOLUTION, &xres) &&
      TIFFGetField(tiff, TIFFTAG_YRESOLUTION, &yres) && xres > 0 && yres > 0) {
    properties_.mppX = micronsPerUnit / xres;
    properties_.mppY = micronsPerUnit / yres;
  }
}

} // namespace sstep::slide
