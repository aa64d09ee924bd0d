//===- SlideBindings.cpp - sstep.Slide: levels and regions of a slide -----===//

#include "python/src/Arrays.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/slide/SlideReader.h"
#include "runtime/slide/TissueMask.h"

#include <pybind11/stl.h>

#include <memory>
#include <optional>

namespace py = pybind11;

namespace sstep::python {
namespace {

class Slide {
public:
  explicit Slide(const std::string &path)
      : reader(slide::SlideReader::open(path)) {}

  /// The reader, shared with a read in flight: close() while another
  /// thread reads drops this copy only.
  std::shared_ptr<const slide::SlideReader> open() const {
    if (!reader)
      throw RuntimeError("the slide is closed");
    return reader;
  }

  std::shared_ptr<const slide::SlideReader> reader;
};

} // namespace

void registerSlide(py::module_ &m) {
  py::class_<Slide>(m, "Slide",
                    "A whole-slide image (tiled TIFF, BigTIFF, Aperio SVS, "
                    "OME-TIFF; other formats through OpenSlide). A context "
                    "manager.")
      .def(py::init<const std::string &>(), py::arg("path"),
           "Opens the slide at `path`; raises SlideError naming the file.")
      .def_property_readonly("path",
                             [](const Slide &s) { return s.open()->path(); })
      .def_property_readonly(
          "levels",
          [](const Slide &s) {
            std::shared_ptr<const slide::SlideReader> open = s.open();
            const slide::SlideReader &r = *open;
            py::list levels;
            for (const slide::LevelInfo &l : r.levels()) {
              py::dict d;
              d["width"] = l.width;
              d["height"] = l.height;
              d["downsample"] = l.downsample;
              double mpp = r.properties().mppX;
              d["mpp"] = mpp > 0 ? py::object(py::float_(mpp * l.downsample))
                                 : py::object(py::none());
              levels.append(d);
            }
            return levels;
          },
          "Per level: width, height, downsample (level-0 pixels per pixel) "
          "and mpp (microns per pixel, None when unknown).")
      .def(
          "read_region",
          [](Slide &s, int level, int64_t x, int64_t y, int64_t w, int64_t h) {
            // Readers are thread-safe: reads from several threads run
            // in parallel.
            std::shared_ptr<const slide::SlideReader> r = s.open();
            slide::RGBImage image;
            {
              py::gil_scoped_release unlocked;
              image = r->readRegion(level, x, y, w, h);
            }
            return toArray(std::move(image.pixels), image.height, image.width);
          },
          py::arg("level"), py::arg("x"), py::arg("y"), py::arg("w"),
          py::arg("h"),
          "The w x h region at (x, y) in the pixel frame of `level` (not "
          "level 0's, unlike OpenSlide), as a uint8 array (h, w, 3).")
      .def(
          "tissue_mask",
          [](const Slide &s, int64_t maxSide) {
            if (maxSide <= 0)
              throw py::value_error("max_side must be positive");
            std::shared_ptr<const slide::SlideReader> r = s.open();
            slide::TissueMaskOptions options;
            options.maxSide = maxSide;
            std::optional<slide::TissueMask> mask;
            {
              py::gil_scoped_release unlocked;
              mask = slide::TissueMask::compute(*r, options);
            }
            py::array_t<bool> pixels(
                {py::ssize_t(mask->height()), py::ssize_t(mask->width())});
            bool *to = pixels.mutable_data();
            for (size_t i = 0; i < mask->pixels().size(); ++i)
              to[i] = mask->pixels()[i] != 0;
            return py::make_tuple(pixels, mask->level0PerPixel());
          },
          py::arg("max_side") = 2048,
          "Where the tissue is: (mask, downsample), a boolean array at "
          "most max_side pixels on its larger side (Otsu's threshold on "
          "saturation, cleaned by a small open and close; what "
          "run_slide(tissue_mask=True) skips by) and the level-0 pixels "
          "per mask pixel.")
      .def(
          "close", [](Slide &s) { s.reader.reset(); },
          "Closes the file; later calls raise Error.")
      .def(
          "__enter__", [](Slide &s) -> Slide & { return s; },
          py::return_value_policy::reference)
      .def("__exit__", [](Slide &s, const py::args &) { s.reader.reset(); });
}

} // namespace sstep::python
