//===- WriteOutput.h - Tensors to the file the user named -------*- C++ -*-===//

#ifndef SSTEP_TOOLS_COMMAND_WRITEOUTPUT_H
#define SSTEP_TOOLS_COMMAND_WRITEOUTPUT_H

#include "runtime/core/Tensor.h"
#include "runtime/exec/Executor.h"

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

namespace sstep {

/// Writes `tensor` by the extension of `path`: .npy, or .json as
/// {"name": ..., "shape": [...], "data": [...]} (row-major). The file appears
/// only when complete. Throws RuntimeError for another extension.
void writeOutput(const std::string &path, const std::string &name,
                 const Tensor &tensor);

/// The stats of images stored between stages: where each lived, the peaks
/// in memory and on disk, and the scratch bytes written and read.
void storedStats(std::ostream &out, const Program &program,
                 const exec::Stats &stats);

/// Ends a --stats JSON object on `out`: the backend's `counters` as fields,
/// its `opSeconds` as "op_seconds" (most first), the closing brace. Throws
/// RuntimeError naming `file` when it failed.
void endStats(std::ostream &out, const std::map<std::string, int64_t> &counters,
              const std::map<std::string, double> &opSeconds,
              const std::string &file);

} // namespace sstep

#endif // SSTEP_TOOLS_COMMAND_WRITEOUTPUT_H
