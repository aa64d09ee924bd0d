//===- Summary.cpp - The cohort's state at the end of a run ---------------===//
//
// Every record is read back, so the summary covers the whole cohort however
// many processes, hosts and earlier runs produced it.
//
//===----------------------------------------------------------------------===//

#include "runtime/cohort/CohortRun.h"
#include "runtime/cohort/Lease.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <unistd.h>

namespace sstep::cohort {
namespace {

using nlohmann::json;

/// A slide's state now: done, failed, running (a live lease) or pending.
std::string stateOf(const CohortJob &job, size_t index,
                    const std::optional<SlideRecord> &r) {
  const ManifestEntry &e = job.manifest->slides[index];
  LeaseOwner owner;
  bool leased =
      LeaseOwner::parse(readLeaseFile(job.state->leasePath(e.id)), &owner) &&
      owner.alive();
  if (!r || r->fingerprint != slideFingerprint(job, index))
    return leased ? "running" : "pending";
  if (r->status == SlideRecord::Status::Done) {
    // As the next run judges it: done only with its outputs in place.
    for (const std::string &output : job.outputs[index])
      if (::access(output.c_str(), F_OK) != 0)
        return "pending";
    return "done";
  }
  if (r->status == SlideRecord::Status::Failed)
    return "failed";
  return leased ? "running" : "pending";
}

/// The first line of an error, with the slide's path shortened to its file
/// name (the row's id names the slide already), cut to fit a table. The
/// table then reads the same wherever the cohort lives.
std::string shortError(const std::string &error, const std::string &slide,
                       size_t width) {
  std::string line = error.substr(0, error.find('\n'));
  size_t slash = slide.rfind('/');
  if (!slide.empty() && slash != std::string::npos)
    for (size_t at = line.find(slide); at != std::string::npos;
         at = line.find(slide, at + 1))
      line.replace(at, slide.size(), slide.substr(slash + 1));
  return line.size() <= width ? line : line.substr(0, width - 3) + "...";
}

void printTable(const CohortJob &job, const std::vector<json> &rows,
                const CohortSummary &s) {
  std::FILE *log = job.log;
  // A long cohort lists what needs attention only.
  bool all = rows.size() <= 40;
  size_t idWidth = 2;
  for (const json &row : rows)
    idWidth = std::max(idWidth, row["id"].get<std::string>().size());
  idWidth = std::min<size_t>(idWidth, 32);
  std::fprintf(log, "%s: cohort summary (%s)\n", job.tool.c_str(),
               job.state->summaryPath().c_str());
  std::fprintf(log, "  %-*s  %-7s  %8s  %9s  %7s  %s\n", int(idWidth), "id",
               "state", "attempts", "seconds", "MP/s", "error");
  for (const json &row : rows) {
    std::string state = row["state"];
    if (!all && state == "done")
      continue;
    double seconds = row["seconds"], mp = row["megapixels"];
    std::fprintf(log, "  %-*s  %-7s  %8d  %9.2f  %7.1f  %s\n", int(idWidth),
                 row["id"].get<std::string>().c_str(), state.c_str(),
                 row["attempts"].get<int>(), seconds,
                 seconds > 0 ? mp / seconds : 0.0,
                 shortError(row.value("error", ""), row.value("slide", ""), 100)
                     .c_str());
  }
  std::fprintf(log,
               "  %lld slides: %lld done, %lld failed, %lld running, %lld "
               "pending\n",
               (long long)s.slides, (long long)s.done, (long long)s.failed,
               (long long)s.running, (long long)s.pending);
  std::fflush(log);
}

} // namespace

CohortSummary summarize(const CohortJob &job, double wallSeconds, bool table) {
  CohortSummary s;
  std::vector<json> rows;
  double slideSeconds = 0, megapixels = 0;
  for (size_t i = 0; i < job.manifest->slides.size(); ++i) {
    const ManifestEntry &e = job.manifest->slides[i];
    std::optional<SlideRecord> r = job.state->read(e.id);
    std::string state = stateOf(job, i, r);
    ++s.slides;
    s.done += state == "done";
    s.failed += state == "failed";
    s.running += state == "running";
    s.pending += state == "pending";
    json row = {{"id", e.id},
                {"slide", e.slide},
                {"row", e.row},
                {"state", state},
                {"attempts", r ? r->attempts : 0},
                {"seconds", r ? r->seconds : 0.0},
                {"megapixels", r ? r->megapixels : 0.0},
                {"outputs", job.outputs[i]}};
    if (r && !r->error.empty() && state == "failed")
      row["error"] = r->error;
    if (r && !r->host.empty())
      row["host"] = r->host;
    if (state == "done") {
      slideSeconds += r->seconds;
      megapixels += r->megapixels;
    }
    rows.push_back(std::move(row));
  }
  json summary = {{"manifest", job.manifest->path},
                  {"output_dir", job.state->outDir()},
                  {"finished", utcTimestamp()},
                  {"slides", s.slides},
                  {"done", s.done},
                  {"failed", s.failed},
                  {"running", s.running},
                  {"pending", s.pending},
                  {"megapixels", megapixels},
                  {"slide_seconds", slideSeconds},
                  {"wall_seconds", wallSeconds},
                  {"records", rows}};
  writeFileAtomically(
      job.state->summaryPath(),
      summary.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
  if (table)
    printTable(job, rows, s);
  return s;
}

} // namespace sstep::cohort
