//===- Args.cpp - Command-line parsing shared by the tools ----------------===//

#include "tools/common/Args.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace sstep::tool {

Args::Args(const std::vector<std::string> &argv,
           const std::set<std::string> &flags,
           const std::set<std::string> &options) {
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string &a = argv[i];
    if (a.size() < 2 || a[0] != '-') {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(a[1] == '-' ? 2 : 1), value;
    std::size_t eq = name.find('=');
    bool inlineValue = eq != std::string::npos;
    if (inlineValue) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (flags.count(name) && !inlineValue) {
      values_[name].push_back("1");
    } else if (options.count(name)) {
      if (!inlineValue) {
        if (i + 1 >= argv.size())
          throw UsageError("option " + a + " needs a value");
        value = argv[++i];
      }
      values_[name].push_back(value);
    } else {
      throw UsageError("unknown option " + a);
    }
  }
}

std::string Args::get(const std::string &name, const std::string &def) const {
  auto it = values_.find(name);
  return it == values_.end() ? def : it->second.back();
}

std::vector<std::string> Args::getAll(const std::string &name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>() : it->second;
}

std::string Args::require(const std::string &name) const {
  if (!has(name))
    throw UsageError("missing --" + name);
  return get(name);
}

int64_t parseInt(const std::string &what, const std::string &text) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != 0 || errno == ERANGE)
    throw UsageError(what + ": \"" + text + "\" is not an integer");
  return v;
}

double parseDouble(const std::string &what, const std::string &text) {
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != 0 || errno == ERANGE)
    throw UsageError(what + ": \"" + text + "\" is not a number");
  return v;
}

int64_t Args::getInt(const std::string &name, int64_t def) const {
  return has(name) ? parseInt("--" + name, get(name)) : def;
}

std::vector<int64_t> Args::getInts(const std::string &name,
                                   std::size_t count) const {
  std::vector<int64_t> values;
  std::stringstream in(require(name));
  std::string item;
  while (std::getline(in, item, ','))
    values.push_back(parseInt("--" + name, item));
  if (values.size() != count)
    throw UsageError("--" + name + " needs " + std::to_string(count) +
                     " comma-separated integers");
  return values;
}

} // namespace sstep::tool
