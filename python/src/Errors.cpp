//===- Errors.cpp - SSTEP's errors as Python exceptions -------------------===//

#include "python/src/Errors.h"
#include "runtime/slide/SlideError.h"
#ifdef SSTEP_HAVE_SLIDE
#include "runtime/api/Slide.h"
#endif

#include <new>

namespace py = pybind11;

namespace sstep::python {

void registerErrors(py::module_ &m) {
  // Module-lifetime objects, as pybind11's own exception examples keep them.
  static py::exception<RuntimeError> error(m, "Error");
  static py::exception<ModelError> model(m, "ModelError", error.ptr());
  static py::exception<slide::SlideError> slide(m, "SlideError", error.ptr());
  static py::exception<BudgetError> budget(m, "BudgetError", error.ptr());
  error.doc() = "An SSTEP error; the message names the file, node, op or "
                "tile.";
  model.doc() = "A model or plan that cannot be read, compiled or run.";
  slide.doc() = "A slide that cannot be read (file, level, tile).";
  budget.doc() = "A memory budget no tile fits; the message says what the "
                 "smallest tile needs.";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p)
        std::rethrow_exception(p);
    } catch (const BudgetError &e) {
      budget(e.what());
    } catch (const ModelError &e) {
      model(e.what());
    } catch (const slide::SlideError &e) {
      slide(e.what());
#ifdef SSTEP_HAVE_SLIDE
    } catch (const SlideRunError &e) {
      slide(e.what());
#endif
    } catch (const RuntimeError &e) {
      error(e.what());
    } catch (const std::bad_alloc &) {
      PyErr_SetString(PyExc_MemoryError, "out of memory");
    }
  });
}

} // namespace sstep::python
