//===- Module.cpp - The sstep._sstep extension module ---------------------===//

#include "python/src/Errors.h"

namespace py = pybind11;

namespace sstep::python {
void registerPlan(py::module_ &m);
void registerSlide(py::module_ &m);
} // namespace sstep::python

PYBIND11_MODULE(_sstep, m) {
  m.doc() = "SSTEP's runtime, bound for Python (see the sstep package).";
  sstep::python::registerErrors(m);
  sstep::python::registerPlan(m);
#ifdef SSTEP_HAVE_SLIDE
  sstep::python::registerSlide(m);
#endif
}
