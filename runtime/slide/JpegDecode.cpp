//===- JpegDecode.cpp - JPEG tiles through libjpeg-turbo ------------------===//
//
// TurboJPEG decodes the common case (YCbCr or greyscale streams, whose colour
// space the stream itself implies). Aperio's RGB JPEG needs the colour space
// forced to RGB, which only libjpeg's own API allows; that path mirrors
// OpenSlide's decode_jpeg() step for step. Both are the same libjpeg-turbo
// code underneath, so both give OpenSlide's pixels at the same speed.
//
//===----------------------------------------------------------------------===//

#include "runtime/slide/TileDecoder.h"

#include <turbojpeg.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <jpeglib.h>

namespace sstep::slide {
namespace {

struct TurboHandle {
  tjhandle handle = tjInitDecompress();
  ~TurboHandle() {
    if (handle)
      tjDestroy(handle);
  }
};

/// Joins shared tables (SOI tables EOI) and an abbreviated stream
/// (SOI data EOI) into one interchange stream.
std::vector<uint8_t> joinTables(const uint8_t *tables, std::size_t tablesSize,
                                const uint8_t *data, std::size_t size) {
  std::vector<uint8_t> joined;
  joined.reserve(tablesSize + size);
  std::size_t keepTables = tablesSize >= 2 ? tablesSize - 2 : 0; // drop EOI
  joined.insert(joined.end(), tables, tables + keepTables);
  std::size_t skip = size >= 2 ? 2 : 0; // drop the tile's SOI
  joined.insert(joined.end(), data + skip, data + size);
  return joined;
}

void decodeTurbo(const uint8_t *stream, std::size_t size, uint32_t w,
                 uint32_t h, const ErrorSite &site, uint8_t *rgb) {
  thread_local TurboHandle turbo;
  if (!turbo.handle)
    throw SlideError(site, "cannot start TurboJPEG");
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  auto *src = const_cast<unsigned char *>(stream);
  auto len = static_cast<unsigned long>(size);
  if (tjDecompressHeader3(turbo.handle, src, len, &width, &height, &subsamp,
                          &colorspace) != 0)
    throw SlideError(site, std::string("corrupt JPEG tile header: ") +
                               tjGetErrorStr2(turbo.handle));
  if (width != static_cast<int>(w) || height != static_cast<int>(h))
    throw SlideError(site, "JPEG tile is " + std::to_string(width) + "x" +
                               std::to_string(height) + ", expected " +
                               std::to_string(w) + "x" + std::to_string(h));
  // Warnings (corrupt entropy data, premature end) count as failures: the
  // alternative is a silently grey tile.
  if (tjDecompress2(turbo.handle, src, len, rgb, width, 0, height, TJPF_RGB,
                    0) != 0)
    throw SlideError(site, std::string("corrupt JPEG tile: ") +
                               tjGetErrorStr2(turbo.handle));
}

struct JpegErrorManager {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool warned;
};

void onJpegError(j_common_ptr cinfo) {
  auto *err = reinterpret_cast<JpegErrorManager *>(cinfo->err);
  cinfo->err->format_message(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void onJpegMessage(j_common_ptr cinfo, int level) {
  auto *err = reinterpret_cast<JpegErrorManager *>(cinfo->err);
  if (level < 0 && !err->warned) {
    err->warned = true;
    cinfo->err->format_message(cinfo, err->message);
  }
}

/// libjpeg with the colour space forced; only plain C objects live across
/// setjmp. Returns false with `err->message` set.
bool decodeLibjpeg(const uint8_t *tables, std::size_t tablesSize,
                   const uint8_t *data, std::size_t size, J_COLOR_SPACE space,
                   uint32_t w, uint32_t h, uint8_t *rgb,
                   JpegErrorManager *err) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&err->pub);
  err->pub.error_exit = onJpegError;
  err->pub.emit_message = onJpegMessage;
  err->warned = false;
  err->message[0] = 0;
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  if (tablesSize) {
    jpeg_mem_src(&cinfo, tables, static_cast<unsigned long>(tablesSize));
    jpeg_read_header(&cinfo, FALSE);
  }
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.jpeg_color_space = space;
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  if (cinfo.output_width != w || cinfo.output_height != h) {
    std::snprintf(err->message, sizeof(err->message),
                  "JPEG tile is %ux%u, expected %ux%u", cinfo.output_width,
                  cinfo.output_height, w, h);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = rgb + std::size_t(cinfo.output_scanline) * w * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return !err->warned;
}

} // namespace

void decodeJpeg(const uint8_t *tables, std::size_t tablesSize,
                const uint8_t *data, std::size_t size, uint16_t photometric,
                uint32_t w, uint32_t h, const ErrorSite &site, uint8_t *rgb) {
  if (size < 4 || data[0] != 0xFF || data[1] != 0xD8)
    throw SlideError(site, "corrupt JPEG tile: no start-of-image marker");
  if (photometric == PHOTOMETRIC_RGB) {
    JpegErrorManager err;
    if (!decodeLibjpeg(tables, tablesSize, data, size, JCS_RGB, w, h, rgb,
                       &err))
      throw SlideError(site, std::string("corrupt JPEG tile: ") + err.message);
    return;
  }
  if (tablesSize == 0)
    return decodeTurbo(data, size, w, h, site, rgb);
  std::vector<uint8_t> joined = joinTables(tables, tablesSize, data, size);
  decodeTurbo(joined.data(), joined.size(), w, h, site, rgb);
}

} // namespace sstep::slide
