//===- main.cpp - A program embedding SSTEP through its CMake package -----===//
//
// sstep-consumer PLAN EXE [SLIDE CLI_NPY OUT_NPY]
//
// Loads PLAN (written by the installed sstep-compile) and checks that the
// reference backend's whole-image result equals its tiled one and the cpu
// backend's (when built) within 1e-4 of the output's largest magnitude; that
// EXE (sstep-compile --emit=exe) holds the same plan; that a missing file
// throws sstep::RuntimeError; and, with slides, that runOnSlide over SLIDE
// writes OUT_NPY equal to CLI_NPY (the installed sstep-run's result).
// Prints one line per check; exits 1 on a mismatch.
//
//===----------------------------------------------------------------------===//

#include "runtime/api/Backends.h"
#include "runtime/api/Model.h"
#if CONSUMER_HAVE_SLIDE
#include "runtime/api/Slide.h"
#include "runtime/core/Npy.h"
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const std::string &what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAIL", what.c_str());
  if (!ok)
    ++failures;
}

/// A deterministic NCHW image with values in [-1, 1].
sstep::Tensor makeImage(int64_t height, int64_t width) {
  sstep::Tensor image({1, 3, height, width});
  for (size_t i = 0; i < image.data.size(); ++i) {
    uint32_t hash = uint32_t(i) * 2654435761u;
    image.data[i] = float((hash >> 8) % 2001) / 1000.0f - 1.0f;
  }
  return image;
}

/// The largest difference between `got` and `want` over want's largest
/// magnitude; infinity when the shapes differ.
double relativeError(const sstep::Tensor &got, const sstep::Tensor &want) {
  if (got.shape != want.shape)
    return INFINITY;
  double diff = 0, scale = 0;
  for (size_t i = 0; i < want.data.size(); ++i) {
    diff = std::max(diff, std::fabs(double(got.data[i]) - want.data[i]));
    scale = std::max(scale, std::fabs(double(want.data[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

void compare(const sstep::Tensor &got, const sstep::Tensor &want,
             const std::string &what) {
  double error = relativeError(got, want);
  char line[160];
  std::snprintf(line, sizeof line, "%s %s, relative error %.3g", what.c_str(),
                sstep::formatShape(got.shape).c_str(), error);
  check(error <= 1e-4, line);
}

bool hasCpuBackend() {
  std::string names = "," + sstep::backendNames() + ",";
  names.erase(std::remove(names.begin(), names.end(), ' '), names.end());
  return names.find(",cpu,") != std::string::npos;
}

template <typename F>
void expectRuntimeError(F f, const std::string &path, const std::string &what) {
  try {
    f();
    check(false, what + " did not throw");
  } catch (const sstep::RuntimeError &e) {
    check(std::string(e.what()).find(path) != std::string::npos,
          what + " throws sstep::RuntimeError: " + e.what());
  }
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3 && argc != 6) {
    std::fprintf(stderr, "usage: %s PLAN EXE [SLIDE CLI_NPY OUT_NPY]\n",
                 argv[0]);
    return 2;
  }
  try {
    sstep::Model model = sstep::Model::load(argv[1]);
    check(model.inputNames().size() == 1 && model.outputNames().size() == 1,
          "plan from " + model.info().producer + ", one input, one output");

    // Odd sizes, so the last tiles are partial.
    sstep::Tensor image = makeImage(45, 38);
    sstep::RunOptions reference;
    reference.backend = "reference";
    sstep::Tensor whole = model.run({image}, reference)[0];
    sstep::RunOptions tiled = reference;
    tiled.tileEdge = 16;
    compare(model.run({image}, tiled)[0], whole,
            "reference tiled (16) vs whole");

    bool cpu = hasCpuBackend();
    check(cpu == bool(CONSUMER_HAVE_CPU),
          std::string("backends: ") + sstep::backendNames());
    if (cpu) {
      sstep::RunOptions options;
      options.backend = "cpu";
      options.threads = 2;
      compare(model.run({image}, options)[0], whole,
              "cpu whole vs reference whole");
      options.tileEdge = 16;
      compare(model.run({image}, options)[0], whole,
              "cpu tiled (16) vs reference whole");
    }

    sstep::Model embedded = sstep::Model::load(argv[2]);
    compare(embedded.run({image}, reference)[0], whole,
            "plan embedded in the executable vs plan file");

    std::string missing = std::string(argv[1]) + ".missing";
    expectRuntimeError([&] { sstep::Model::load(missing); }, missing,
                       "loading a missing plan");

#if CONSUMER_HAVE_SLIDE
    if (argc == 6) {
      // Another backend and tile size than sstep-run's defaults: the result
      // is the same.
      sstep::SlideJob job;
      job.backend = cpu ? "cpu" : "reference";
      job.threads = 2;
      job.tileEdge = 64;
      job.run.outputs = {{0, argv[5]}};
      job.run.progress = false;
      job.run.tool = "sstep-consumer";
      sstep::pipeline::SlideRunReport report =
          sstep::runOnSlide(model, argv[3], job);
      compare(sstep::readNpy(argv[5]), sstep::readNpy(argv[4]),
              "runOnSlide (" + job.backend + ", tiles of 64, " +
                  std::to_string(report.level[0]) + "x" +
                  std::to_string(report.level[1]) + " level) vs sstep-run");
      std::string noSlide = std::string(argv[3]) + ".missing";
      expectRuntimeError([&] { sstep::runOnSlide(model, noSlide, job); },
                         noSlide, "runOnSlide on a missing slide");
    }
#endif
  } catch (const sstep::RuntimeError &e) {
    std::fprintf(stderr, "sstep-consumer: error: %s\n", e.what());
    return 1;
  }
  std::printf("%s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
