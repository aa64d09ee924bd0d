//===- Model.h - SSTEP's C++ API: a compiled model you can run ---*- C++
//-*-===//
//
// The entry point for programs that embed SSTEP (find_package(SSTEP), target
// SSTEP::Runtime). A Model is a plan written by `sstep-compile`; it runs on
// NCHW float32 tensors here, and over whole slides through Slide.h:
//
//   sstep::Model model = sstep::Model::load("resnet18.sstep");
//   sstep::RunOptions options;
//   options.memoryBudget = int64_t(512) << 20; // tiles that fit 512 MiB
//   std::vector<sstep::Tensor> out = model.run({std::move(image)}, options);
//
// Tiled or whole, the result equals the whole-image result. Bad input throws
// sstep::RuntimeError with a message naming the file, input or node.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_API_MODEL_H
#define SSTEP_RUNTIME_API_MODEL_H

#include "runtime/core/PlanFile.h"
#include "runtime/core/Program.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/core/Tensor.h"
#include "runtime/exec/Executor.h"
#include "runtime/plan/MemoryPlan.h"
#include "runtime/plan/StoredValues.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sstep {

/// How any run executes: the backend, its threads, the tiles or the
/// memory budget. Tensor runs (RunOptions), slide and patch jobs (Slide.h)
/// and the bindings all take it.
struct ExecutionOptions {
  /// A backend of this build (Backends.h): "cpu" (oneDNN), "reference"
  /// (plain loops, the oracle), "cuda".
  std::string backend = "cpu";
  /// Worker threads; 0: all cores.
  int threads = 0;
  /// Tiles of this many input pixels a side; 0: see memoryBudget.
  int64_t tileEdge = 0;
  /// With tileEdge: tiles of this many rows instead (short wide tiles,
  /// which a backend that chains tiles runs without recomputing the rows
  /// above); 0: square.
  int64_t tileRows = 0;
  /// With tileEdge 0: the largest tiles whose working set fits this many
  /// bytes; 0 as well: the whole image at once (tensors).
  int64_t memoryBudget = 0;
  /// Device memory for a GPU backend's arena, in bytes; 0: memoryBudget,
  /// else half of what is free.
  int64_t deviceMemory = 0;
  /// Where images stored between stages live (plan/StoredValues.h), and
  /// the folder of those on disk (empty: $TMPDIR, else /tmp).
  plan::StorePolicy store = plan::StorePolicy::Auto;
  std::string scratchFolder;

  /// The GPU arena's bytes these options ask for (0: half of what is free).
  int64_t deviceBytes() const {
    return deviceMemory > 0 ? deviceMemory : memoryBudget;
  }
};

/// How Model::run executes.
struct RunOptions : ExecutionOptions {
  /// Inputs read a region at a time (by input index); their tensors are
  /// passed empty. The run must be tiled.
  std::map<size_t, exec::InputSource *> sources;
  /// Outputs written a block at a time (by output index), each an NCHW
  /// image; they are returned empty.
  std::map<size_t, exec::OutputSink *> sinks;
  /// What those sources and sinks hold beside the tiles, counted in the
  /// budget and the prediction; null: not counted.
  const plan::StreamModel *stream = nullptr;
  /// Where the run saves checkpoints and resumes from (exec::Options).
  exec::Checkpoints *checkpoints = nullptr;
  /// After each tile, in order (exec::Options::progress).
  std::function<void(const exec::TileId &, bool ran)> progress;
};

class Model {
public:
  /// The plan file at `path`, or the plan embedded in the executable at
  /// `path` (sstep-compile --emit=exe). Throws RuntimeError naming the file
  /// when it is neither, or is corrupt.
  static Model load(const std::string &path);

  explicit Model(Program program, PlanInfo info = {});

  const Program &program() const { return program_; }
  /// What the plan says about itself (producer, source model, target).
  const PlanInfo &info() const { return info_; }
  std::vector<std::string> inputNames() const;
  std::vector<std::string> outputNames() const;

  /// Runs on `inputs` (in inputNames() order); returns the outputs in
  /// outputNames() order. `stats`, when given, receives the executor's.
  std::vector<Tensor> run(std::vector<Tensor> inputs,
                          const RunOptions &options = {},
                          exec::Stats *stats = nullptr) const;

  /// The same on `backend`, which the caller holds (a Session's); it must
  /// be the one `options.backend` names.
  std::vector<Tensor> runOn(exec::Backend &backend, std::vector<Tensor> inputs,
                            const RunOptions &options,
                            exec::Stats *stats = nullptr) const;

  /// The plan of a run on a first input of `size` (height, width) as
  /// `options` ask (plan::planExecution's policy for the backend's traits);
  /// `slide`: the input streams from a slide, through buffers `stream`
  /// counts in the budget (null: not counted).
  plan::ExecutionPlan planFor(Size2 size, const ExecutionOptions &options,
                              bool slide = false,
                              const plan::StreamModel *stream = nullptr) const;

  /// The tile shape `options` asks for on `inputs` (edge 0: whole image):
  /// the one given, else the planner's for the budget and the backend.
  plan::TileShape tileShapeFor(const std::vector<Tensor> &inputs,
                               const RunOptions &options) const;
  /// Whether input `index` is read as tile windows only, so that it can come
  /// from an exec::InputSource in RunOptions::sources.
  bool streamable(size_t index) const;

  /// The same for a first input of `size` (height, width).
  plan::TileShape tileShapeFor(Size2 size,
                               const ExecutionOptions &options) const;

private:
  friend class Session; // replaces weights in its own copy

  Program program_;
  PlanInfo info_;
};

} // namespace sstep

#endif // SSTEP_RUNTIME_API_MODEL_H
