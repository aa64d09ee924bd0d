//===- NpyStreams.h - Tiled runs reading and writing .npy in blocks -*- C++
//-*-===//
//
// sstep-run's tensors on disk, for a tiled run: each tile reads its input
// window from the input file and writes the block it owns into the output
// file, so neither array is in memory whole (a 32768² RGB input is 12 GiB).
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TOOLS_COMMAND_NPYSTREAMS_H
#define SSTEP_TOOLS_COMMAND_NPYSTREAMS_H

#include "runtime/core/Npy.h"
#include "runtime/exec/Executor.h"

#include <memory>

namespace sstep {

/// An NCHW .npy input read one tile window at a time.
class NpySource : public exec::InputSource {
public:
  explicit NpySource(const NpyFile &file) : file(file) {}
  Shape shape() const override { return file.shape(); }
  Tensor read(const Region &r) override;

private:
  const NpyFile &file;
};

/// An NCHW output written to `path` one owned block at a time; the file
/// appears when the run finishes.
class NpySink : public exec::OutputSink {
public:
  explicit NpySink(std::string path) : path(std::move(path)) {}
  void begin(const Shape &shape) override;
  void write(const Region &region, const Tensor &block) override;
  void finish() override;

private:
  std::string path;
  std::unique_ptr<NpyWriter> out;
};

} // namespace sstep

#endif // SSTEP_TOOLS_COMMAND_NPYSTREAMS_H
