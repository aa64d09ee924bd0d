//===- AlgorithmCache.cpp - cuDNN's algorithm choices, kept across runs ---===//

#include "runtime/cuda/AlgorithmCache.h"
#include "runtime/core/AtomicFile.h"
#include "runtime/core/RuntimeError.h"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sstep::cuda {
namespace {

constexpr const char *kHeader = "sstep-cudnn-algorithms 1";

} // namespace

AlgorithmCache::AlgorithmCache(std::string path) : path_(std::move(path)) {
  if (path_.empty())
    return;
  std::ifstream in(path_);
  if (!in)
    return; // the first run on this GPU
  std::string line;
  if (!std::getline(in, line) || line != kHeader) {
    problem_ = path_ + " is not an algorithm cache of this version: ignored";
    return;
  }
  std::map<ConvGeometry, AlgorithmChoice> read;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    ConvGeometry g{};
    AlgorithmChoice c;
    for (int64_t &x : g)
      fields >> x;
    fields >> c.algorithm >> c.mathType;
    std::string rest;
    if (!fields || (fields >> rest) || c.algorithm < 0 || c.mathType < 0) {
      // One bad line spoils the file: a choice could be someone else's.
      problem_ = path_ + ": unreadable line '" + line + "': ignored";
      return;
    }
    read[g] = c;
  }
  choices = std::move(read);
}

std::optional<AlgorithmChoice>
AlgorithmCache::find(const ConvGeometry &geometry) const {
  auto it = choices.find(geometry);
  if (it == choices.end())
    return std::nullopt;
  return it->second;
}

void AlgorithmCache::remember(const ConvGeometry &geometry,
                              AlgorithmChoice choice) {
  choices[geometry] = choice;
  if (path_.empty())
    return;
  std::ostringstream text;
  text << kHeader << "\n";
  for (const auto &[g, c] : choices) {
    for (int64_t x : g)
      text << x << " ";
    text << c.algorithm << " " << c.mathType << "\n";
  }
  try {
    std::error_code ec;
    std::filesystem::create_directories(
        std::filesystem::path(path_).parent_path(), ec);
    writeFileAtomically(path_, text.str());
    problem_.clear();
  } catch (const RuntimeError &e) {
    problem_ = e.what();
  }
}

std::string algorithmCachePath(const std::string &device, int64_t version,
                               const std::string &precision) {
  std::string folder;
  if (const char *dir = std::getenv("SSTEP_CACHE_DIR"); dir && *dir)
    folder = dir;
  else if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    folder = std::string(xdg) + "/sstep";
  else if (const char *home = std::getenv("HOME"); home && *home)
    folder = std::string(home) + "/.cache/sstep";
  else
    return "";
  std::string name = device;
  for (char &ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-')
      ch = '_';
  return folder + "/cudnn-" + name + "-" + std::to_string(version) + "-" +
         precision + ".txt";
}

} // namespace sstep::cuda
