//===- WriteOutput.cpp - Tensors to the file the user named ---------------===//

#include "tools/command/WriteOutput.h"
#include "runtime/core/Npy.h"
#include "runtime/core/Paths.h"
#include "runtime/core/RuntimeError.h"
#include "tools/common/JsonString.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>

namespace sstep {
namespace {

void writeJson(const std::string &path, const std::string &name,
               const Tensor &tensor) {
  std::string part = path + ".part";
  {
    std::ofstream out(part);
    if (!out)
      throw RuntimeError(path + ": cannot create " + part);
    out << "{\"name\": \"" << name << "\", \"shape\": [";
    for (size_t i = 0; i < tensor.shape.size(); ++i)
      out << (i ? ", " : "") << tensor.shape[i];
    out << "], \"data\": [";
    out << std::setprecision(9);
    for (int64_t i = 0; i < tensor.size(); ++i) {
      float v = tensor.data[i];
      out << (i ? ", " : "");
      if (std::isfinite(v))
        out << v;
      else // JSON has no inf or NaN
        out << "null";
    }
    out << "]}\n";
    if (!out.flush())
      throw RuntimeError(path + ": cannot write " + part);
  }
  if (std::rename(part.c_str(), path.c_str()) != 0)
    throw RuntimeError(path + ": cannot rename " + part + " to it");
}

} // namespace

void writeOutput(const std::string &path, const std::string &name,
                 const Tensor &tensor) {
  if (endsWith(path, ".npy"))
    writeNpy(path, tensor.shape, tensor.data.data());
  else if (endsWith(path, ".json"))
    writeJson(path, name, tensor);
  else
    throw RuntimeError(path + ": unknown output type (use .npy or .json)");
}

void storedStats(std::ostream &out, const Program &program,
                 const exec::Stats &stats) {
  out << ",\n  \"stored_memory_peak_bytes\": " << stats.storedPeakBytes
      << ",\n  \"scratch_peak_bytes\": " << stats.scratchPeakBytes
      << ",\n  \"scratch_written_bytes\": " << stats.scratchWritten
      << ",\n  \"scratch_read_bytes\": " << stats.scratchRead
      << ",\n  \"stored_values\": [";
  const auto &values = stats.storage.values;
  for (size_t i = 0; i < values.size(); ++i) {
    const plan::StoredValue &v = values[i];
    out << (i ? "," : "")
        << "\n    {\"name\": " << tool::jsonString(program.values[v.value].name)
        << ", \"bytes\": " << v.bytes << ", \"stages\": [" << v.firstStage
        << ", " << v.lastStage << "], \"place\": \""
        << (v.onDisk ? "disk" : "memory") << "\"}";
  }
  out << (values.empty() ? "]" : "\n  ]");
  // Images computed again where they are read, instead of stored.
  std::vector<plan::RecomputedValue> again = plan::recomputedValues(program);
  out << ",\n  \"recomputed_values\": [";
  for (size_t i = 0; i < again.size(); ++i)
    out << (i ? ", " : "") << "{\"name\": "
        << tool::jsonString(program.values[again[i].value].name)
        << ", \"stage\": " << again[i].stage << "}";
  out << "]";
}

void endStats(std::ostream &out, const std::map<std::string, int64_t> &counters,
              const std::map<std::string, double> &opSeconds,
              const std::string &file) {
  for (const auto &[name, value] : counters)
    out << ",\n  \"" << name << "\": " << value;
  std::vector<std::pair<double, std::string>> most;
  for (const auto &[name, seconds] : opSeconds)
    most.emplace_back(-seconds, name);
  std::sort(most.begin(), most.end());
  out << ",\n  \"op_seconds\": {";
  for (size_t i = 0; i < most.size(); ++i)
    out << (i ? ", " : "") << "\"" << most[i].second
        << "\": " << -most[i].first;
  out << "}";
  out << "\n}\n";
  out.flush();
  if (!out)
    throw RuntimeError("cannot write stats to '" + file + "'");
}

} // namespace sstep
