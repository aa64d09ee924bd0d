//===- RunCommand.h - The sstep-run command line, shared with AOT -*- C++
//-*-===//
//
// `sstep-run MODEL INPUT -o OUTPUT [options]` and an AOT binary's
// `NAME INPUT -o OUTPUT [options]` are one command: the binary is sstep-run
// with its model built in. This is that command, runtime only (no MLIR);
// sstep-run supplies a loader that also compiles ONNX in memory, the AOT
// runner supplies the plan embedded in itself.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TOOLS_COMMAND_RUNCOMMAND_H
#define SSTEP_TOOLS_COMMAND_RUNCOMMAND_H

#include "runtime/api/Model.h"
#include "tools/common/Args.h"

#include <functional>
#include <stdexcept>
#include <string>

namespace sstep {

/// A model that cannot be read, imported or compiled; the message names the
/// file and the node (exit 2).
struct BadModel : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// What the command does when an option is not given: sstep-run's own
/// choices, or for an AOT binary what its plan recorded.
struct CommandDefaults {
  std::string backend = "reference";
  std::string tensorTile = "none", tensorBudget = "4GiB";
  std::string slideTile = "auto", slideBudget = "2GiB";
};

/// A slide run, handed from the command to its slide side (RunSlide.h).
struct SlideCall {
  const tool::Args *args = nullptr;
  /// The program's name, for progress lines.
  std::string toolName;
  std::string slidePath;
  const Model *model = nullptr;
  std::string backend;
  CommandDefaults defaults;
  /// (output index, path) of each output.
  std::vector<std::pair<size_t, std::string>> files;
  /// A cohort run (--cohort): the manifest, with no slidePath and no files;
  /// -o is the output folder (RunCohort.h).
  std::string cohort;
  /// Whether the test's kill hook (SSTEP_TEST_ABORT_AFTER_TILES) applies to
  /// this run; a cohort arms it for one slide.
  bool killHookArmed = true;
  /// Called after each tile or patch; what it throws stops the run (a
  /// cohort's slide taken over by another process).
  std::function<void()> checkpoint;
};

struct CommandSpec {
  /// The program's name in messages and its usage.
  std::string name;
  /// sstep-run: MODEL (the first argument) to a Model.
  std::function<Model(const std::string &path, const std::string &backend)>
      loadModel;
  /// An AOT binary: its own model. The command then takes no MODEL, and the
  /// plan's recorded target, --tile and --memory-budget are the defaults.
  const Model *embedded = nullptr;
  /// Runs a slide (RunSlide.h's runSlide, or sstep-run's module); returns
  /// the exit status. Unset: this build reads no slides.
  std::function<int(const SlideCall &)> runSlide;
};

/// Runs the command; returns the exit status: 0 success, 2 bad input or
/// usage (the message on stderr names the file, node or option), 1 internal
/// error.
int runCommand(int argc, char **argv, const CommandSpec &spec);

} // namespace sstep

#endif // SSTEP_TOOLS_COMMAND_RUNCOMMAND_H
