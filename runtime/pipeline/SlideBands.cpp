//===- SlideBands.cpp - One slide split across processes ------------------===//

#include "runtime/pipeline/SlideBands.h"

#include <filesystem>
#include <numeric>
#include <regex>

namespace sstep::pipeline {

std::pair<int64_t, int64_t> bandRows(const std::vector<int64_t> &runs, int rank,
                                     int ranks) {
  int64_t rows = int64_t(runs.size());
  int64_t total = std::accumulate(runs.begin(), runs.end(), int64_t(0));
  // Band k starts at the first row before which k/ranks of the tiles run.
  auto start = [&](int k) -> int64_t {
    if (k <= 0)
      return 0;
    if (k >= ranks)
      return rows;
    if (total == 0)
      return rows * k / ranks;
    int64_t target = (total * k + ranks - 1) / ranks, before = 0;
    for (int64_t row = 0; row < rows; ++row) {
      if (before >= target)
        return row;
      before += runs[size_t(row)];
    }
    return rows;
  };
  return {start(rank), start(rank + 1)};
}

std::string bandJournal(const std::string &journal, int rank, int ranks) {
  return journal + "." + std::to_string(rank) + "of" + std::to_string(ranks);
}

void removeBandJournals(const std::string &journal) {
  namespace fs = std::filesystem;
  fs::path path(journal);
  fs::path folder = path.has_parent_path() ? path.parent_path() : ".";
  std::regex band(std::regex_replace(path.filename().string(),
                                     std::regex(R"([.^$|()\[\]{}*+?\\])"),
                                     R"(\$&)") +
                  R"(\.[0-9]+of[0-9]+)");
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(folder, ec))
    if (std::regex_match(entry.path().filename().string(), band))
      fs::remove(entry.path(), ec);
}

} // namespace sstep::pipeline
