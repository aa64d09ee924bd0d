//===- Args.h - Command-line parsing shared by the tools ---------*- C++
//-*-===//

#ifndef SSTEP_TOOLS_COMMON_ARGS_H
#define SSTEP_TOOLS_COMMON_ARGS_H

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace sstep::tool {

/// A mistake in the command line: exit code 2 with the usage.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// `--name value`, `--name=value` and `-o value` options, `--flag` switches
/// (those in `flags`) and positional arguments.
class Args {
public:
  Args(const std::vector<std::string> &argv, const std::set<std::string> &flags,
       const std::set<std::string> &options);

  const std::vector<std::string> &positional() const { return positional_; }
  bool has(const std::string &name) const { return values_.count(name) != 0; }
  /// The last value given for `name`.
  std::string get(const std::string &name, const std::string &def = "") const;
  /// Every value given for a repeatable option, in order.
  std::vector<std::string> getAll(const std::string &name) const;
  /// Replaces every value of `name` with `value` (a flag's is "1").
  void set(const std::string &name, const std::string &value) {
    values_[name] = {value};
  }
  void erase(const std::string &name) { values_.erase(name); }
  /// Throws UsageError when `name` is absent.
  std::string require(const std::string &name) const;
  int64_t getInt(const std::string &name, int64_t def) const;
  /// "a,b,c" as integers; throws UsageError unless there are `count`.
  std::vector<int64_t> getInts(const std::string &name,
                               std::size_t count) const;

private:
  std::vector<std::string> positional_;
  std::map<std::string, std::vector<std::string>> values_;
};

int64_t parseInt(const std::string &what, const std::string &text);
double parseDouble(const std::string &what, const std::string &text);

} // namespace sstep::tool

#endif // SSTEP_TOOLS_COMMON_ARGS_H
