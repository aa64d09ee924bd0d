//===- Commands.h - sstep-slide's subcommands ------------------*- C++ -*-===//

#ifndef SSTEP_TOOLS_SSTEP_SLIDE_COMMANDS_H
#define SSTEP_TOOLS_SSTEP_SLIDE_COMMANDS_H

#include <string>
#include <vector>

namespace sstep::tool {

// Each returns the exit code; bad input throws (SlideError, UsageError).
int runInfo(const std::vector<std::string> &args);
int runRead(const std::vector<std::string> &args);
int runMask(const std::vector<std::string> &args);
int runMkslide(const std::vector<std::string> &args);
int runOverlay(const std::vector<std::string> &args);

} // namespace sstep::tool

#endif // SSTEP_TOOLS_SSTEP_SLIDE_COMMANDS_H
