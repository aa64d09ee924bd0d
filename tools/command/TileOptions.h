//===- TileOptions.h - --tile and --memory-budget, parsed once ---*- C++
//-*-===//

#ifndef SSTEP_TOOLS_COMMAND_TILEOPTIONS_H
#define SSTEP_TOOLS_COMMAND_TILEOPTIONS_H

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

} // namespace sstep

#endif // SSTEP_TOOLS_COMMAND_TILEOPTIONS_H
