//===- Usage.h - sstep-run's usage text, and an inference binary's --------===//

#ifndef SSTEP_TOOLS_COMMAND_USAGE_H
#define SSTEP_TOOLS_COMMAND_USAGE_H

#include "tools/command/RunCommand.h"

#include <string>

namespace sstep {

/// The usage text of `spec`'s command; an AOT binary takes no MODEL.
std::string usageOf(const CommandSpec &spec);

} // namespace sstep

#endif // SSTEP_TOOLS_COMMAND_USAGE_H
