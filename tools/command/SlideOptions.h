//===- SlideOptions.h - Options slide and patch runs share ------*- C++ -*-===//
//
// `sstep-run MODEL SLIDE` tiles a level, `--patches` runs each patch alone;
// both read the level, normalisation and tissue mask the same way, report
// progress on stderr, fingerprint the command for resume and take the
// test's kill hook. One parser fills those fields of either options struct.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_TOOLS_COMMAND_SLIDEOPTIONS_H
#define SSTEP_TOOLS_COMMAND_SLIDEOPTIONS_H

#include "runtime/pipeline/PatchRun.h"
#include "runtime/pipeline/SlideRun.h"
#include "runtime/pipeline/SlideSource.h"
#include "tools/command/RunCommand.h"

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <unistd.h>

namespace sstep {

/// Fills the shared fields of `o` (pipeline::SlideRunOptions or
/// PatchRunOptions) from `call`; `abortAfter` is its kill-hook count.
/// Throws tool::UsageError for a bad --normalize.
/// The per-tile (slide runs) or per-patch callback of `o`.
inline auto &progressHook(pipeline::SlideRunOptions &o) { return o.onTile; }
inline auto &progressHook(pipeline::PatchRunOptions &o) { return o.onPatch; }

template <typename RunOptions>
void setSharedSlideOptions(const SlideCall &call, RunOptions &o,
                           int64_t &abortAfter) {
  const tool::Args &args = *call.args;
  o.level = int(args.getInt("level", 0));
  try {
    o.normalization =
        pipeline::Normalization::parse(args.get("normalize", "imagenet"));
  } catch (const std::invalid_argument &e) {
    throw tool::UsageError(std::string("--normalize: ") + e.what());
  }
  o.tissueMask = args.has("tissue-mask") || args.has("mask");
  o.maskFile = args.get("mask", "");
  o.progress = !args.has("quiet");
  o.terminal = ::isatty(STDERR_FILENO) != 0;
  o.tool = call.toolName;
  o.fingerprint = call.backend;
  for (const auto &[index, path] : call.files)
    o.outputs.push_back({index, path});
  if (call.checkpoint) {
    std::function<void()> checkpoint = call.checkpoint;
    progressHook(o) = [checkpoint](int64_t, int64_t, double) { checkpoint(); };
  }
  const char *abort = std::getenv("SSTEP_TEST_ABORT_AFTER_TILES");
  if (abort && call.killHookArmed)
    abortAfter = std::atoll(abort);
}

} // namespace sstep

#endif // SSTEP_TOOLS_COMMAND_SLIDEOPTIONS_H
