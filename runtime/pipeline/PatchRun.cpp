//===- PatchRun.cpp - A model run on each patch of a slide ----------------===//

#include "runtime/pipeline/PatchRun.h"
#include "runtime/core/Paths.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/pipeline/Progress.h"
#include "runtime/pipeline/SpillWriter.h"
#include "runtime/plan/Stages.h"
#include "runtime/plan/Tiling.h"
#include "runtime/slide/TissueMask.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <memory>
#include <unistd.h>

namespace sstep::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void note(const PatchRunOptions &options, const std::string &text) {
  std::fprintf(options.log, "%s: note: %s\n", options.tool.c_str(),
               text.c_str());
}

struct OutputPlan {
  SlideOutputFile file;
  int value = -1;
  std::vector<int64_t> rowShape;
  int64_t rowValues = 1;
  std::string spillPath;
  std::unique_ptr<SpillFile> spill;
};

/// One patch's output shape for output value `v`: an image's C x h x w (C
/// alone when h = w = 1, a pooled embedding), else the shape without the
/// batch axis.
std::vector<int64_t> rowShapeOf(const Program &program, int v,
                                const plan::Sizes &sizes,
                                const std::string &path) {
  const Shape &shape = program.values[v].shape;
  std::vector<int64_t> row;
  if (shape.size() == 4) {
    // A pooled value's size is in its shape; a tiled one's, predicted.
    row = {shape[1], shape[2] > 0 ? shape[2] : sizes[v][0],
           shape[3] > 0 ? shape[3] : sizes[v][1]};
    if (row[1] == 1 && row[2] == 1)
      row.resize(1);
  } else {
    row.assign(shape.begin() + (shape.empty() ? 0 : 1), shape.end());
  }
  bool ok = !shape.empty() && shape[0] == 1;
  for (int64_t d : row)
    ok = ok && d > 0;
  if (!ok)
    throw RuntimeError(path + ": output '" + program.values[v].name +
                       "' of shape " + formatShape(shape) +
                       " is not one result per patch (batch 1, known size)");
  return row;
}

std::string fingerprintOf(const Program &program,
                          const slide::SlideReader &reader,
                          const PatchRunOptions &o,
                          const plan::TileShape &tiles,
                          const std::vector<OutputPlan> &outs) {
  Fingerprint f;
  f.add("sstep patch run 1").add(o.fingerprint);
  addProgram(f, program);
  addFile(f, reader.path());
  f.add(o.level).add(o.normalization.str()).add(o.size).add(o.stride);
  f.add(tiles.edge).add(tiles.rows).add(o.tissueMask);
  f.add(&o.minTissue, sizeof o.minTissue).add(int64_t(o.layout));
  if (!o.maskFile.empty())
    addFile(f, o.maskFile);
  for (const OutputPlan &out : outs)
    f.add(int64_t(out.file.index)).add(out.file.path);
  return f.hex();
}

/// Which whole patches to run, and their tissue shares when masked.
void selectPatches(const slide::SlideReader &reader,
                   const PatchRunOptions &options, Size2 level,
                   std::vector<Size2> &origins, std::vector<float> &tissue) {
  if (!options.tissueMask)
    return;
  slide::TissueMask mask =
      slide::TissueMask::forSlide(reader, options.maskFile);
  std::vector<Size2> kept;
  for (const Size2 &o : origins) {
    double share = mask.tissueShare(level[1], level[0], o[1], o[0],
                                    options.size, options.size);
    if (share > 0 && share >= options.minTissue) {
      kept.push_back(o);
      tissue.push_back(float(share));
    }
  }
  origins = std::move(kept);
}

void checkOptions(const Program &program, const PatchRunOptions &options,
                  Size2 level) {
  if (program.inputs.size() != 1)
    throw RuntimeError("a slide feeds a model with one image input; this "
                       "model has " +
                       std::to_string(program.inputs.size()) + " inputs");
  if (options.size <= 0 || options.stride <= 0)
    throw RuntimeError("--patches and --patch-stride must be positive");
  if (options.size > level[0] || options.size > level[1])
    throw RuntimeError("a " + std::to_string(options.size) +
                       "-pixel patch does not fit level " +
                       std::to_string(options.level) + " (" +
                       std::to_string(level[1]) + " x " +
                       std::to_string(level[0]) + ")");
  const Shape &input = program.values[program.inputs[0]].shape;
  if (input.size() != 4 || (input[1] > 0 && input[1] != 3))
    throw RuntimeError("a slide feeds a model whose input is 1x3xHxW; this "
                       "one takes " +
                       formatShape(input));
  for (int axis : {2, 3})
    if (input[axis] > 0 && input[axis] != options.size)
      throw RuntimeError(
          "the model takes " + formatShape(input) + " images only, not " +
          std::to_string(options.size) +
          "-pixel patches: use --patches=" + std::to_string(input[axis]));
  if (options.outputs.empty())
    throw RuntimeError("a patch run needs an .h5 output");
  for (const SlideOutputFile &file : options.outputs)
    if (!endsWith(file.path, ".h5") && !endsWith(file.path, ".hdf5"))
      throw RuntimeError(file.path + ": patch outputs are HDF5 tables "
                                     "(.h5 or .hdf5)");
}

/// Converts the spill file of `out` into its HDF5 table.
void writeTable(const OutputPlan &out, slide::PatchTable table) {
  table.rowShape = out.rowShape;
  slide::Hdf5PatchWriter writer(out.file.path, table);
  const int64_t n = int64_t(table.coords.size());
  const int64_t rowsPerBlock =
      std::max<int64_t>(1, (int64_t(16) << 20) / (4 * out.rowValues));
  std::vector<float> block;
  for (int64_t first = 0; first < n; first += rowsPerBlock) {
    int64_t rows = std::min(rowsPerBlock, n - first);
    block.resize(size_t(rows * out.rowValues));
    out.spill->read(Region{{Interval{first, first + rows - 1},
                            Interval{0, out.rowValues - 1}}},
                    block.data());
    writer.writeRows(first, rows, block.data());
  }
  writer.finish();
}

void accumulate(exec::Stats &total, const exec::Stats &s) {
  total.grids = s.grids;
  total.tilesRun += s.tilesRun;
  total.tilesChained += s.tilesChained;
  total.tilesPriming += s.tilesPriming;
  total.peakTileBytes = std::max(total.peakTileBytes, s.peakTileBytes);
  total.tileSeconds += s.tileSeconds;
  total.onceSeconds += s.onceSeconds;
  total.readSeconds += s.readSeconds;
  total.writeSeconds += s.writeSeconds;
  total.counters = s.counters;
  total.opSeconds = s.opSeconds;
}

/// The journal of rows already durable in the spill files (void when a
/// spill file is gone or of another size); the patches left to run.
std::unique_ptr<Journal>
openJournal(const Program &program, const plan::ExecutionPlan &plan,
            const slide::SlideReader &reader, const PatchRunOptions &options,
            const std::vector<OutputPlan> &outs, int64_t n,
            PatchRunReport &report, std::vector<int64_t> &toRun) {
  const std::string journalPath = outs[0].file.path + ".journal";
  const std::string fingerprint =
      fingerprintOf(program, reader, options, plan.tiles, outs);
  auto journal = std::make_unique<Journal>(journalPath, fingerprint);
  if (journal->start() == Journal::Start::Resumed) {
    bool spilled = true;
    for (const OutputPlan &o : outs)
      spilled = spilled && fileSize(o.spillPath) ==
                               std::max<int64_t>(n, 1) * o.rowValues * 4;
    if (!spilled) {
      note(options,
           journalPath + " has lost its spill file: starting from scratch");
      journal->remove();
      journal = std::make_unique<Journal>(journalPath, fingerprint);
    }
  }
  report.journal = journal->start();
  if (report.journal == Journal::Start::Mismatch)
    note(options, journalPath + " is from a different command (model, slide, "
                                "level, patches or options): starting from "
                                "scratch");
  for (int64_t i = 0; i < n; ++i)
    if (journal->done(i))
      ++report.patchesResumed;
    else
      toRun.push_back(i);
  if (report.journal == Journal::Start::Resumed)
    note(options, "resuming from " + journalPath + ": " +
                      std::to_string(report.patchesResumed) + " of " +
                      std::to_string(n) + " patches done");
  return journal;
}

/// The HDF5 tables (or groups) of every output, from the spill files, with
/// each patch's coordinates and the run's description.
void writeTables(const Program &program, const slide::SlideReader &reader,
                 const PatchRunOptions &options,
                 const std::vector<Size2> &origins, std::vector<float> tissue,
                 const std::vector<OutputPlan> &outs) {
  const slide::LevelInfo &info = reader.level(options.level);
  slide::PatchTable table;
  table.layout = options.layout;
  table.level = options.level;
  table.size = options.size;
  table.masked = options.tissueMask;
  table.tissue = std::move(tissue);
  for (const Size2 &o : origins) {
    table.levelCoords.push_back({o[1], o[0]});
    table.coords.push_back({int64_t(double(o[1]) * info.downsample + 0.5),
                            int64_t(double(o[0]) * info.downsample + 0.5)});
  }
  table.integers["patch_stride"] = options.stride;
  table.integers["level_width"] = info.width;
  table.integers["level_height"] = info.height;
  table.numbers["downsample"] = info.downsample;
  if (reader.properties().mppX > 0)
    table.numbers["mpp"] = reader.properties().mppX * info.downsample;
  if (options.tissueMask)
    table.numbers["min_tissue"] = options.minTissue;
  table.texts["slide"] = reader.path();
  table.texts["normalization"] = options.normalization.str();
  for (const OutputPlan &o : outs) {
    table.texts["output"] = program.outputName(o.file.index);
    writeTable(o, table);
  }
}

PatchRunReport run(const Program &program, const plan::ExecutionPlan &plan,
                   exec::Backend &backend, const slide::SlideReader &reader,
                   const PatchRunOptions &options) {
  auto start = Clock::now();
  PatchRunReport report;
  const slide::LevelInfo &info = reader.level(options.level);
  report.level = {info.height, info.width};
  report.tileEdge = plan.tiles.edge;
  report.tileRows = plan.tiles.rows;
  checkOptions(program, options, report.level);
  std::vector<Size2> origins =
      patchOrigins(report.level, options.size, options.stride);
  report.patchesInGrid = int64_t(origins.size());
  std::vector<float> tissue;
  selectPatches(reader, options, report.level, origins, tissue);
  const int64_t n = int64_t(origins.size());
  report.patches = n;

  if (plan.input != Size2{options.size, options.size})
    throw RuntimeError("internal error: a plan for " +
                       std::to_string(plan.input[1]) + " x " +
                       std::to_string(plan.input[0]) +
                       " pixels run on patches of another size");
  plan::Sizes sizes = plan::predictSizes(program, plan.stages, plan.input);
  std::vector<OutputPlan> outs(options.outputs.size());
  for (size_t i = 0; i < outs.size(); ++i) {
    OutputPlan &o = outs[i];
    o.file = options.outputs[i];
    o.value = program.outputs.at(o.file.index);
    o.rowShape = rowShapeOf(program, o.value, sizes, o.file.path);
    for (int64_t d : o.rowShape)
      o.rowValues *= d;
    o.spillPath = o.file.path + ".partial";
    report.rowShapes.push_back(o.rowShape);
  }

  std::vector<int64_t> toRun;
  std::unique_ptr<Journal> journal =
      openJournal(program, plan, reader, options, outs, n, report, toRun);
  bool keep = report.journal == Journal::Start::Resumed;
  for (OutputPlan &o : outs)
    o.spill = std::make_unique<SpillFile>(
        o.spillPath, 1, std::max<int64_t>(n, 1), o.rowValues, keep);

  std::vector<Region> regions;
  for (int64_t i : toRun) {
    const Size2 &o = origins[size_t(i)];
    regions.push_back(Region{{Interval{o[0], o[0] + options.size - 1},
                              Interval{o[1], o[1] + options.size - 1}}});
  }
  // Patches decoded ahead: up to 4, within 256 MiB (at least one).
  const int64_t patchBytes = 3 * 4 * options.size * options.size;
  SlideSource source(
      reader, options.level, options.normalization,
      size_t(std::clamp<int64_t>((int64_t(256) << 20) / patchBytes, 1, 4)));
  source.expect(regions);
  exec::Options exec;
  Progress progress(options.log, options.progress, options.terminal, 1,
                    options.tool, "patches");
  progress.setTilesToRun(int64_t(toRun.size()));
  // Resumed patches count as done in the progress line.
  for (int64_t i = 0; i < n; ++i)
    if (journal->done(i))
      progress.tile({0, 0, i, i, n}, false, 0);

  SpillWriter writer(journal.get());
  const double patchPixels = double(options.size) * double(options.size);
  // A run stopped on purpose (Ctrl-C in Python, a failing patch) keeps the
  // rows already handed to the writer, journaled, for a resume.
  try {
    for (size_t k = 0; k < toRun.size(); ++k) {
      const int64_t i = toRun[k];
      std::vector<Tensor> inputs;
      inputs.push_back(source.read(regions[k]));
      exec::Stats stats;
      std::vector<Tensor> results = exec::execute(
          program, plan, backend, std::move(inputs), exec, &stats);
      accumulate(report.stats, stats);
      for (OutputPlan &o : outs) {
        // A copy: two files may take the same output.
        Tensor t = results.at(o.file.index);
        if (int64_t(t.data.size()) != o.rowValues)
          throw RuntimeError(o.file.path + ": patch " + std::to_string(i) +
                             " gave " + formatShape(t.shape) +
                             " values, not the predicted " +
                             std::to_string(o.rowValues));
        t.shape = {1, 1, 1, o.rowValues};
        writer.write(*o.spill,
                     Region{{Interval{i, i}, Interval{0, o.rowValues - 1}}},
                     std::move(t));
      }
      writer.tileDone(i);
      ++report.patchesRun;
      progress.tile({0, 0, i, i, n}, true, patchPixels);
      if (options.onPatch)
        options.onPatch(report.patchesResumed + report.patchesRun, n,
                        double(report.patchesRun) * patchPixels / 1e6 /
                            since(start));
      if (report.patchesRun == options.abortAfterPatches) {
        writer.drain();
        std::fflush(nullptr);
        ::raise(SIGKILL);
      }
    }
  } catch (...) {
    try {
      writer.drain();
    } catch (...) {
    }
    throw;
  }
  progress.end();
  writer.drain();

  auto finishStart = Clock::now();
  writeTables(program, reader, options, origins, std::move(tissue), outs);
  // The tables are in place: only now may the journal and spills go.
  journal->remove();
  for (OutputPlan &o : outs)
    o.spill->remove();
  report.finishSeconds = since(finishStart);
  report.decodeSeconds = source.decodeSeconds();
  report.seconds = since(start);
  return report;
}

} // namespace

std::vector<Size2> patchOrigins(Size2 level, int64_t size, int64_t stride) {
  std::vector<Size2> origins;
  if (size <= 0 || stride <= 0)
    return origins;
  for (int64_t y = 0; y + size <= level[0]; y += stride)
    for (int64_t x = 0; x + size <= level[1]; x += stride)
      origins.push_back({y, x});
  return origins;
}

PatchRunReport runPatches(const Program &program,
                          const plan::ExecutionPlan &plan,
                          exec::Backend &backend,
                          const slide::SlideReader &reader,
                          const PatchRunOptions &options) {
  // A failed run keeps its spill files and journal: a rerun resumes.
  return run(program, plan, backend, reader, options);
}

} // namespace sstep::pipeline
