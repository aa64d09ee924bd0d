//===- RunSlide.h - sstep-run MODEL SLIDE: a model over a slide -*- C++ -*-===//
//
// The slide side of sstep-run: when INPUT is a slide (anything but .npy), the
// model runs tiled over one level of it through runtime/pipeline, with
// outputs by extension (.tif, .h5, .npy, .json), resume, tissue skipping,
// progress and statistics.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TOOLS_COMMAND_RUNSLIDE_H
#define SSTEP_TOOLS_COMMAND_RUNSLIDE_H

#include "tools/command/RunCommand.h"
#include "tools/common/Args.h"

#include <string>
#include <utility>
#include <vector>

namespace sstep {

/// Whether INPUT is a slide rather than a .npy tensor.
bool isSlideInput(const std::string &input);

/// Throws UsageError when an option only slide runs take is given.
void rejectSlideOptions(const tool::Args &args);

/// Runs `model` over `slidePath` (progress lines name `toolName`) and writes
/// `files` (output index, path). Returns the exit code; throws UsageError or
/// RuntimeError (exit 2) for bad input.
int runSlide(const tool::Args &args, const std::string &toolName,
             const std::string &slidePath, const Model &model,
             const std::string &backendName, const CommandDefaults &defaults,
             const std::vector<std::pair<size_t, std::string>> &files);

} // namespace sstep

#endif // SSTEP_TOOLS_COMMAND_RUNSLIDE_H
