//===- TileOptions.cpp - --tile and --memory-budget, parsed once ----------===//

#include "tools/command/TileOptions.h"

#include "runtime/core/Paths.h"
#include "runtime/plan/MemoryPlan.h"
#include <algorithm>
#include <cstdlib>
#include <sched.h>
#include <thread>

#include <stdexcept>

namespace sstep {

using tool::UsageError;

namespace {
int64_t parseBudget(const std::string &text) {
  try {
    return plan::parseBytes(text);
  } catch (const std::invalid_argument &e) {
    throw UsageError(std::string("--memory-budget: ") + e.what());
  }
}
} // namespace

TileRequest parseTileRequest(const tool::Args &args,
                             const std::string &defaultTile,
                             const std::string &defaultBudget) {
  TileRequest request;
  std::string tile = args.get("tile", defaultTile);
  if (args.has("tile-rows") && (tile == "auto" || tile == "none"))
    throw UsageError("--tile-rows needs a fixed --tile=N");
  if (tile == "none") {
    if (args.has("memory-budget"))
      throw UsageError("--memory-budget needs --tile=auto");
    return request;
  }
  if (tile != "auto") {
    request.edge = tool::parseInt("--tile", tile);
    if (request.edge < 1)
      throw UsageError("--tile takes none, auto or a positive edge in "
                       "pixels, got " +
                       tile);
    if (args.has("tile-rows")) {
      request.rows = tool::parseInt("--tile-rows", args.get("tile-rows"));
      if (request.rows < 1)
        throw UsageError("--tile-rows takes a positive number of pixels, "
                         "got " +
                         args.get("tile-rows"));
    }
    // Given with fixed tiles, a budget still decides where the images
    // stored between stages live (--store=auto).
    if (args.has("memory-budget"))
      request.budget = parseBudget(args.get("memory-budget"));
    return request;
  }
  request.automatic = true;
  request.budget = parseBudget(args.get("memory-budget", defaultBudget));
  return request;
}

void parseStoreOptions(const tool::Args &args, const std::string &firstOutput,
                       ExecutionOptions &options) {
  try {
    options.store = plan::parseStorePolicy(args.get("store", "auto"));
  } catch (const std::invalid_argument &e) {
    throw UsageError(std::string("--store ") + e.what());
  }
  if (args.has("scratch")) {
    options.scratchFolder = args.get("scratch");
    if (options.scratchFolder.empty())
      throw UsageError("--scratch takes a folder");
    return;
  }
  if (firstOutput.empty())
    return; // $TMPDIR
  // Beside the output: the disk the user chose for results has room.
  options.scratchFolder = folderOf(firstOutput);
}

int threadsOf(const tool::Args &args, int ranksHere) {
  if (args.has("threads"))
    return int(tool::parseInt("--threads", args.get("threads")));
  if (const char *cpus = std::getenv("SLURM_CPUS_PER_TASK"))
    if (std::atoi(cpus) > 0)
      return std::atoi(cpus);
  if (ranksHere <= 1)
    return 0;
  // The CPUs this process may run on (a cgroup or taskset may give fewer
  // than the machine has).
  cpu_set_t set;
  int cores = ::sched_getaffinity(0, sizeof set, &set) == 0
                  ? CPU_COUNT(&set)
                  : int(std::thread::hardware_concurrency());
  return std::max(1, cores / ranksHere);
}

} // namespace sstep
