//===- CohortState.cpp - What a cohort run has done, in OUTDIR/.sstep -----===//

#include "runtime/cohort/CohortState.h"
#include "runtime/core/RuntimeError.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace sstep::cohort {
namespace {

using nlohmann::json;

void makeFolder(const std::string &path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    throw RuntimeError(path +
                       ": cannot create the folder: " + std::strerror(errno));
}

SlideRecord::Status parseStatus(const std::string &name) {
  if (name == "done")
    return SlideRecord::Status::Done;
  if (name == "failed")
    return SlideRecord::Status::Failed;
  if (name == "running")
    return SlideRecord::Status::Running;
  throw std::invalid_argument("unknown status '" + name + "'");
}

} // namespace

const char *statusName(SlideRecord::Status status) {
  switch (status) {
  case SlideRecord::Status::Running:
    return "running";
  case SlideRecord::Status::Done:
    return "done";
  case SlideRecord::Status::Failed:
    return "failed";
  }
  return "?";
}

CohortState::CohortState(std::string outDir) : outDir_(std::move(outDir)) {
  while (outDir_.size() > 1 && outDir_.back() == '/')
    outDir_.pop_back();
  makeFolder(outDir_);
  // Absolute, so that records hold the same paths from any folder.
  outDir_ = std::filesystem::absolute(outDir_).lexically_normal().string();
  while (outDir_.size() > 1 && outDir_.back() == '/')
    outDir_.pop_back();
  makeFolder(folder());
  makeFolder(folder() + "/slides");
  makeFolder(folder() + "/leases");
  makeFolder(folder() + "/stats");
}

std::string CohortState::recordPath(const std::string &id) const {
  return folder() + "/slides/" + id + ".json";
}

std::string CohortState::leasePath(const std::string &id) const {
  return folder() + "/leases/" + id;
}

std::optional<SlideRecord> CohortState::read(const std::string &id) const {
  std::ifstream in(recordPath(id));
  if (!in)
    return std::nullopt;
  try {
    json j = json::parse(in);
    SlideRecord r;
    r.id = j.at("id").get<std::string>();
    r.slide = j.at("slide").get<std::string>();
    r.status = parseStatus(j.at("status").get<std::string>());
    r.error = j.value("error", "");
    r.attempts = j.at("attempts").get<int>();
    r.fingerprint = j.at("fingerprint").get<std::string>();
    r.outputs = j.value("outputs", std::vector<std::string>());
    r.seconds = j.value("seconds", 0.0);
    r.megapixels = j.value("megapixels", 0.0);
    r.tilesResumed = j.value("tiles_resumed", int64_t(0));
    r.runId = j.value("run", "");
    r.host = j.value("host", "");
    r.pid = j.value("pid", int64_t(0));
    r.finished = j.value("finished", "");
    r.finishedAt = j.value("finished_unix", 0.0);
    return r;
  } catch (const std::exception &) {
    return std::nullopt;
  }
}

void CohortState::write(const SlideRecord &r) const {
  json j = {{"id", r.id},
            {"slide", r.slide},
            {"status", statusName(r.status)},
            {"attempts", r.attempts},
            {"fingerprint", r.fingerprint},
            {"outputs", r.outputs},
            {"seconds", r.seconds},
            {"megapixels", r.megapixels},
            {"tiles_resumed", r.tilesResumed},
            {"host", r.host},
            {"pid", r.pid}};
  if (!r.error.empty())
    j["error"] = r.error;
  if (!r.runId.empty())
    j["run"] = r.runId;
  if (!r.finished.empty()) {
    j["finished"] = r.finished;
    j["finished_unix"] = r.finishedAt;
  }
  // Paths and messages may not be UTF-8: replaced, not thrown over.
  writeFileAtomically(recordPath(r.id),
                      j.dump(2, ' ', false, json::error_handler_t::replace) +
                          "\n");
}

} // namespace sstep::cohort
