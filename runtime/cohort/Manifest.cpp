//===- Manifest.cpp - The slides of a cohort, from a CSV file -------------===//

#include "runtime/cohort/Manifest.h"
#include "runtime/core/RuntimeError.h"

#include <csv.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

namespace sstep::cohort {
namespace {

/// libcsv's callbacks gather fields into rows.
struct Rows {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> current;
};

void onField(void *text, size_t length, void *data) {
  auto &rows = *static_cast<Rows *>(data);
  rows.current.emplace_back(text ? static_cast<const char *>(text) : "",
                            length);
}

void onRowEnd(int, void *data) {
  auto &rows = *static_cast<Rows *>(data);
  rows.rows.push_back(std::move(rows.current));
  rows.current.clear();
}

std::vector<std::vector<std::string>> parseCsv(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw RuntimeError(
        path + ": cannot open the cohort manifest: " + std::strerror(errno));
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
    throw RuntimeError(path + ": cannot start the CSV parser");
  Rows rows;
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof buffer);
    size_t n = size_t(in.gcount());
    if (csv_parse(&parser, buffer, n, onField, onRowEnd, &rows) != n) {
      std::string why = csv_strerror(csv_error(&parser));
      csv_free(&parser);
      throw RuntimeError(path + ": row " +
                         std::to_string(rows.rows.size() + 1) +
                         ": not CSV: " + why);
    }
  }
  if (csv_fini(&parser, onField, onRowEnd, &rows) != 0) {
    std::string why = csv_strerror(csv_error(&parser));
    csv_free(&parser);
    throw RuntimeError(path + ": row " + std::to_string(rows.rows.size() + 1) +
                       ": not CSV: " + why);
  }
  csv_free(&parser);
  return rows.rows;
}

/// The manifest's folder, absolute, so that records name the same slide
/// whatever folder a later run starts in.
std::string folderOf(const std::string &path) {
  return std::filesystem::absolute(path).parent_path().string() + "/";
}

std::string stemOf(const std::string &path) {
  std::string name = path.substr(path.rfind('/') + 1);
  size_t dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

int parseLevel(const std::string &text, const std::string &where) {
  if (text.empty())
    return -1;
  char *end = nullptr;
  errno = 0;
  long value = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || errno != 0 || value < 0 || value > 64)
    throw RuntimeError(where + ": level '" + text +
                       "' is not a level number (0, 1, 2...)");
  return int(value);
}

} // namespace

bool isPlainFileName(const std::string &name) {
  if (name.empty() || name[0] == '.')
    return false;
  for (unsigned char c : name)
    if (c == '/' || c < 0x20 || c == 0x7f)
      return false;
  return true;
}

Manifest readManifest(const std::string &path) {
  std::vector<std::vector<std::string>> rows = parseCsv(path);
  if (rows.empty())
    throw RuntimeError(path + ": the cohort manifest is empty (it needs a "
                              "header row with a 'slide' column)");
  // Excel's "CSV UTF-8" starts with a byte-order mark.
  if (!rows[0].empty() && rows[0][0].rfind("\xEF\xBB\xBF", 0) == 0)
    rows[0][0].erase(0, 3);
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < rows[0].size(); ++i)
    column.emplace(rows[0][i], i);
  if (!column.count("slide"))
    throw RuntimeError(path + ": row 1: the header has no 'slide' column");
  auto field = [&](const std::vector<std::string> &row, const char *name) {
    auto it = column.find(name);
    return it == column.end() || it->second >= row.size() ? std::string()
                                                          : row[it->second];
  };
  Manifest manifest{path, {}};
  std::map<std::string, int> idRow, outputRow;
  std::string folder = folderOf(path);
  for (size_t r = 1; r < rows.size(); ++r) {
    const std::vector<std::string> &row = rows[r];
    std::string where = path + ": row " + std::to_string(r + 1);
    if (row.size() > rows[0].size())
      throw RuntimeError(where + ": " + std::to_string(row.size()) +
                         " fields, but the header has " +
                         std::to_string(rows[0].size()));
    ManifestEntry e;
    e.row = int(r + 1);
    e.slide = field(row, "slide");
    if (e.slide.empty())
      throw RuntimeError(where + ": no slide path");
    if (e.slide[0] != '/')
      e.slide = folder + e.slide;
    e.id = field(row, "id");
    if (e.id.empty())
      e.id = stemOf(e.slide);
    if (!isPlainFileName(e.id))
      throw RuntimeError(where + ": id '" + e.id +
                         "' cannot name a file (no '/', no leading '.')");
    e.output = field(row, "output");
    if (!e.output.empty() && !isPlainFileName(e.output))
      throw RuntimeError(where + ": output '" + e.output +
                         "' is not a file name in the output folder");
    e.mask = field(row, "mask");
    if (!e.mask.empty() && e.mask[0] != '/')
      e.mask = folder + e.mask;
    e.level = parseLevel(field(row, "level"), where);
    auto [id, fresh] = idRow.emplace(e.id, e.row);
    if (!fresh)
      throw RuntimeError(where + ": id '" + e.id + "' is also row " +
                         std::to_string(id->second) +
                         "'s (give each slide an id column value)");
    if (!e.output.empty()) {
      auto [out, freshOut] = outputRow.emplace(e.output, e.row);
      if (!freshOut)
        throw RuntimeError(where + ": output '" + e.output + "' is also row " +
                           std::to_string(out->second) + "'s");
    }
    manifest.slides.push_back(std::move(e));
  }
  if (manifest.slides.empty())
    throw RuntimeError(path + ": the cohort manifest lists no slides");
  return manifest;
}

} // namespace sstep::cohort
