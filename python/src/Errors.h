//===- Errors.h - SSTEP's errors as Python exceptions -----------*- C++ -*-===//
//
// sstep.Error and its subclasses ModelError (a model or plan that cannot be
// read, compiled or run: names the file, node and op), SlideError (file,
// level, tile) and BudgetError (a memory budget no tile fits: says what the
// smallest needs). Every C++ exception leaving a binding becomes one of
// them (or MemoryError), never a crash.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_PYTHON_ERRORS_H
#define SSTEP_PYTHON_ERRORS_H

#include "runtime/core/RuntimeError.h"

#include <pybind11/pybind11.h>

namespace sstep::python {

/// A model or plan that cannot be read or compiled.
class ModelError : public RuntimeError {
public:
  using RuntimeError::RuntimeError;
};

void registerErrors(pybind11::module_ &m);

} // namespace sstep::python

#endif // SSTEP_PYTHON_ERRORS_H
