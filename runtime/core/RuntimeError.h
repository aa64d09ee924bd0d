//===- RuntimeError.h - Errors the runtime reports ---------------*- C++
//-*-===//
//
// Bad input found while running a program (a tensor of the wrong shape, an op
// this backend lacks, an unreadable file). The message names the node, op or
// file; tools print it and exit with status 2.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_CORE_RUNTIMEERROR_H
#define SSTEP_RUNTIME_CORE_RUNTIMEERROR_H

#include <stdexcept>
#include <string>

namespace sstep {

class RuntimeError : public std::runtime_error {
public:
  explicit RuntimeError(const std::string &message)
      : std::runtime_error(message) {}
};

/// A memory budget no tile fits; the message says what the smallest needs.
class BudgetError : public RuntimeError {
public:
  using RuntimeError::RuntimeError;
};

} // namespace sstep

#endif // SSTEP_RUNTIME_CORE_RUNTIMEERROR_H
