//===- Program.cpp - The dataflow graph the runtime executes --------------===//

#include "runtime/core/Program.h"
#include "runtime/core/RuntimeError.h"

namespace sstep {

namespace {
template <typename T>
const T &lookup(const Node &node, const std::string &key, const char *kind) {
  auto it = node.attrs.find(key);
  if (it == node.attrs.end())
    throw RuntimeError(node.describe() + ": missing attribute '" + key + "'");
  if (const T *value = std::get_if<T>(&it->second))
    return *value;
  throw RuntimeError(node.describe() + ": attribute '" + key + "' is not " +
                     kind);
}
} // namespace

int64_t Node::getInt(const std::string &key) const {
  return lookup<int64_t>(*this, key, "an integer");
}

double Node::getFloat(const std::string &key) const {
  auto it = attrs.find(key);
  if (it != attrs.end())
    if (const int64_t *i = std::get_if<int64_t>(&it->second))
      return static_cast<double>(*i);
  return lookup<double>(*this, key, "a number");
}

const std::string &Node::getString(const std::string &key) const {
  return lookup<std::string>(*this, key, "a string");
}

const std::vector<int64_t> &Node::getInts(const std::string &key) const {
  return lookup<std::vector<int64_t>>(*this, key, "an integer list");
}

const std::vector<double> &Node::getFloats(const std::string &key) const {
  return lookup<std::vector<double>>(*this, key, "a number list");
}

std::string Node::describe() const {
  std::string text = "node";
  if (!name.empty())
    text += " '" + name + "'";
  return text + " (sstep." + op + ")";
}

const char *stringifyRole(Role role) {
  switch (role) {
  case Role::None:
    return "none";
  case Role::Tile:
    return "tile";
  case Role::Reduce:
    return "reduce";
  case Role::Whole:
    return "whole";
  case Role::Global:
    return "global";
  }
  return "none";
}

Role parseRole(const std::string &spelling) {
  for (Role role : {Role::Tile, Role::Reduce, Role::Whole, Role::Global})
    if (spelling == stringifyRole(role))
      return role;
  return Role::None;
}

int Program::addValue(std::string name, Shape shape) {
  values.push_back({std::move(name), std::move(shape)});
  return static_cast<int>(values.size()) - 1;
}

const std::string &Program::outputName(size_t i) const {
  if (i < outputNames.size() && !outputNames[i].empty())
    return outputNames[i];
  return values[outputs[i]].name;
}

} // namespace sstep
