//===- Manifest.h - The slides of a cohort, from a CSV file -----*- C++ -*-===//
//
// A cohort is a CSV file with a header row. Columns, by name, in any order:
//
//   slide   the slide's path (required); relative paths are relative to the
//           manifest's folder, so a manifest moves with its slides
//   id      a unique name for the slide (default: the slide's file name
//           without its extension); it names the state and the output
//   output  the output's file name in the output folder; its extension picks
//           the format (default: ID.tif, or ID.h5 for patch runs)
//   mask    a tissue mask for the slide (a PNG, as --mask takes; relative
//           to the manifest's folder): its tiles without tissue are skipped
//   level   the slide level to run (default: the command's --level)
//
// Other columns (labels, patient ids) are allowed and ignored. Quoting is
// RFC 4180's, parsed by libcsv:
//
//   slide,id,level
//   scans/a.svs,case-001,0
//   "scans/b, rescanned.svs",case-002,
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_COHORT_MANIFEST_H
#define SSTEP_RUNTIME_COHORT_MANIFEST_H

#include <string>
#include <vector>

namespace sstep::cohort {

struct ManifestEntry {
  /// The row in the file, counting the header as row 1 (blank lines are
  /// not rows).
  int row = 0;
  /// The path, absolute (a relative one is taken from the manifest's folder).
  std::string slide;
  std::string id;
  /// A file name, or empty for the default.
  std::string output;
  /// The tissue mask's path (absolute), or empty for none.
  std::string mask;
  /// -1: the command's level.
  int level = -1;
};

struct Manifest {
  std::string path;
  std::vector<ManifestEntry> slides;
};

/// Reads and checks `path`. Throws RuntimeError naming the file and row: no
/// header or no `slide` column, a row with more fields than the header, an
/// empty slide, a bad level, an id or output that is not a plain file name,
/// two rows with one id or one output (both rows named), bad quoting.
Manifest readManifest(const std::string &path);

/// Whether `name` can name a file in the output folder: not empty, no '/',
/// not starting with '.', no control characters.
bool isPlainFileName(const std::string &name);

} // namespace sstep::cohort

#endif // SSTEP_RUNTIME_COHORT_MANIFEST_H
