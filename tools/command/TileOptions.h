//===- TileOptions.h - --tile, --memory-budget, --threads, parsed once ---===//

#ifndef SSTEP_TOOLS_COMMAND_TILEOPTIONS_H
#define SSTEP_TOOLS_COMMAND_TILEOPTIONS_H

#include "runtime/api/Model.h"
#include "tools/common/Args.h"

#include <cstdint>
#include <string>

namespace sstep {

/// What --tile and --memory-budget ask for.
struct TileRequest {
  /// A fixed edge in pixels; 0 for none (whole image) or auto.
  int64_t edge = 0;
  /// --tile-rows with a fixed edge: rows per tile; 0: square.
  int64_t rows = 0;
  /// --tile=auto: the planner picks the largest tile within `budget`.
  bool automatic = false;
  int64_t budget = 0;
};

/// Parses --tile (default `defaultTile`) and --memory-budget (default
/// `defaultBudget`); throws tool::UsageError on bad values.
TileRequest parseTileRequest(const tool::Args &args,
                             const std::string &defaultTile,
                             const std::string &defaultBudget);

/// --store (auto, memory, disk) and --scratch DIR into `options`; the
/// scratch folder defaults to the folder of `firstOutput` (a file path).
/// Throws tool::UsageError on a bad value.
void parseStoreOptions(const tool::Args &args, const std::string &firstOutput,
                       ExecutionOptions &options);

/// --threads; else the CPUs Slurm gave the task (SLURM_CPUS_PER_TASK);
/// else, with `ranksHere` MPI ranks on this node, the cores divided among
/// them; else 0 (every core). Throws tool::UsageError on a bad value.
int threadsOf(const tool::Args &args, int ranksHere = 1);

} // namespace sstep

#endif // SSTEP_TOOLS_COMMAND_TILEOPTIONS_H
