//===- JobStore.cpp - Slide jobs: queued, run one by one, kept on disk ----===//

#include "runtime/serve/JobStore.h"
#include "runtime/core/AtomicFile.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/serve/InferProtocol.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <sys/stat.h>

namespace sstep::serve {
namespace {

using nlohmann::json;

/// Thrown by the progress hook to stop a job that was cancelled.
struct Cancelled {};
/// Thrown by it when the server stops: the job stays running on disk.
struct Stopping {};

JobStatus::State parseState(const std::string &s) {
  for (auto state : {JobStatus::State::Queued, JobStatus::State::Running,
                     JobStatus::State::Done, JobStatus::State::Failed,
                     JobStatus::State::Cancelled})
    if (s == stateName(state))
      return state;
  throw std::invalid_argument("unknown job state '" + s + "'");
}

json toJson(const JobStatus &j) {
  return {{"id", j.id},
          {"state", stateName(j.state)},
          {"error", j.error},
          {"model", j.spec.model},
          {"slide", j.spec.slide},
          {"output", j.spec.output},
          {"output_name", j.spec.outputName},
          {"level", j.spec.level},
          {"normalize", j.spec.normalize},
          {"tissue_mask", j.spec.tissueMask},
          {"tile", j.spec.tile},
          {"tiles_done", j.tilesDone},
          {"tiles_total", j.tilesTotal},
          {"tiles_resumed", j.tilesResumed},
          {"megapixels", j.megapixels},
          {"megapixels_per_second", j.megapixelsPerSecond},
          {"seconds", j.seconds},
          {"created", j.created},
          {"started", j.started},
          {"finished", j.finished}};
}

JobStatus fromJson(const json &j) {
  JobStatus s;
  s.id = j.at("id").get<std::string>();
  s.state = parseState(j.at("state").get<std::string>());
  s.error = j.value("error", "");
  s.spec.model = j.at("model").get<std::string>();
  s.spec.slide = j.at("slide").get<std::string>();
  s.spec.output = j.at("output").get<std::string>();
  s.spec.outputName = j.value("output_name", "");
  s.spec.level = j.value("level", 0);
  s.spec.normalize = j.value("normalize", "imagenet");
  s.spec.tissueMask = j.value("tissue_mask", false);
  s.spec.tile = j.value("tile", int64_t(0));
  s.tilesDone = j.value("tiles_done", int64_t(0));
  s.tilesTotal = j.value("tiles_total", int64_t(0));
  s.tilesResumed = j.value("tiles_resumed", int64_t(0));
  s.megapixels = j.value("megapixels", 0.0);
  s.megapixelsPerSecond = j.value("megapixels_per_second", 0.0);
  s.seconds = j.value("seconds", 0.0);
  s.created = j.value("created", "");
  s.started = j.value("started", "");
  s.finished = j.value("finished", "");
  return s;
}

std::string newId() {
  static std::mutex mutex;
  static std::mt19937_64 random{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mutex);
  char text[17];
  std::snprintf(text, sizeof text, "%016llx",
                static_cast<unsigned long long>(random()));
  return text;
}

} // namespace

const char *stateName(JobStatus::State state) {
  switch (state) {
  case JobStatus::State::Queued:
    return "queued";
  case JobStatus::State::Running:
    return "running";
  case JobStatus::State::Done:
    return "done";
  case JobStatus::State::Failed:
    return "failed";
  case JobStatus::State::Cancelled:
    return "cancelled";
  }
  return "?";
}

JobStore::JobStore(std::string folder, size_t maxQueued, JobRunner runner)
    : folder_(std::move(folder)), maxQueued_(maxQueued),
      runner_(std::move(runner)) {
  std::error_code error;
  std::filesystem::create_directories(folder_, error);
  if (error)
    throw RuntimeError("--jobs " + folder_ +
                       ": cannot create the folder: " + error.message());
  std::vector<JobStatus> found;
  for (const auto &entry : std::filesystem::directory_iterator(folder_)) {
    std::ifstream in(entry.path() / "job.json");
    if (!in)
      continue;
    try {
      found.push_back(fromJson(json::parse(in)));
    } catch (const std::exception &e) {
      throw RuntimeError((entry.path() / "job.json").string() +
                         ": not a job record: " + e.what());
    }
  }
  std::sort(found.begin(), found.end(), [](auto &a, auto &b) {
    return a.created < b.created || (a.created == b.created && a.id < b.id);
  });
  for (JobStatus &job : found) {
    if (job.state == JobStatus::State::Running)
      job.state = JobStatus::State::Queued; // cut by a stop: resume it
    if (job.state == JobStatus::State::Queued)
      queue_.push_back(job.id);
    jobs_[job.id] = std::move(job);
  }
}

JobStore::~JobStore() { stop(); }

void JobStore::start() {
  if (!worker_.joinable())
    worker_ = std::thread([this] { work(); });
}

void JobStore::stop() {
  stopping_ = true;
  wake_.notify_all();
  if (worker_.joinable())
    worker_.join();
}

std::string JobStore::folderOf(const std::string &id) const {
  return folder_ + "/" + id;
}

std::string JobStore::outputPath(const JobStatus &job) const {
  return folderOf(job.id) + "/" + job.spec.output;
}

void JobStore::save(const JobStatus &job) const {
  writeFileAtomically(folderOf(job.id) + "/job.json",
                      toJson(job).dump(1) + "\n");
}

std::string JobStore::submit(const JobSpec &spec) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (queue_.size() >= maxQueued_)
    throw ProtocolError(429, std::to_string(queue_.size()) +
                                 " slide jobs are queued, the most this "
                                 "server takes; retry later");
  JobStatus job;
  job.id = newId();
  job.spec = spec;
  job.created = utcTimestamp();
  if (::mkdir(folderOf(job.id).c_str(), 0755) != 0)
    throw RuntimeError(folderOf(job.id) + ": cannot create the job's folder: " +
                       std::strerror(errno));
  save(job);
  queue_.push_back(job.id);
  jobs_[job.id] = job;
  wake_.notify_all();
  return job.id;
}

std::optional<JobStatus> JobStore::get(const std::string &id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end())
    return std::nullopt;
  return it->second;
}

std::vector<JobStatus> JobStore::list() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<JobStatus> out;
  for (const auto &[id, job] : jobs_)
    out.push_back(job);
  return out;
}

std::map<std::string, int64_t> JobStore::counts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<std::string, int64_t> n;
  for (auto state : {JobStatus::State::Queued, JobStatus::State::Running,
                     JobStatus::State::Done, JobStatus::State::Failed,
                     JobStatus::State::Cancelled})
    n[stateName(state)] = 0;
  for (const auto &[id, job] : jobs_)
    ++n[stateName(job.state)];
  return n;
}

bool JobStore::cancel(const std::string &id) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end())
    return false;
  JobStatus &job = it->second;
  switch (job.state) {
  case JobStatus::State::Running:
    cancelRunning_ = true; // the worker records it at the next tile
    return true;
  case JobStatus::State::Queued:
    queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
    job.state = JobStatus::State::Cancelled;
    job.finished = utcTimestamp();
    save(job);
    return true;
  default: {
    std::string folder = folderOf(id);
    jobs_.erase(it);
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
    return true;
  }
  }
}

void JobStore::work() {
  for (;;) {
    JobStatus job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_)
        return;
      JobStatus &j = jobs_.at(queue_.front());
      queue_.pop_front();
      j.state = JobStatus::State::Running;
      j.started = utcTimestamp();
      j.error.clear();
      save(j);
      running_ = j.id;
      cancelRunning_ = false;
      job = j;
    }
    auto begin = std::chrono::steady_clock::now();
    auto onTile = [&](int64_t done, int64_t total, double mps) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        JobStatus &j = jobs_.at(job.id);
        j.tilesDone = done;
        j.tilesTotal = total;
        j.megapixelsPerSecond = mps;
        j.seconds = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - begin)
                        .count();
      }
      if (cancelRunning_)
        throw Cancelled{};
      if (stopping_)
        throw Stopping{};
    };
    JobStatus::State state = JobStatus::State::Done;
    std::string error;
    std::pair<int64_t, double> result{0, 0.0};
    try {
      result = runner_(job.spec, outputPath(job), onTile);
    } catch (const Cancelled &) {
      state = JobStatus::State::Cancelled;
    } catch (const Stopping &) {
      std::lock_guard<std::mutex> lock(mutex_);
      running_.clear();
      return; // still running on disk: the next start resumes it
    } catch (const std::exception &e) {
      state = JobStatus::State::Failed;
      error = e.what();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    JobStatus &j = jobs_.at(job.id);
    j.state = state;
    j.error = error;
    j.tilesResumed = result.first;
    j.megapixels = result.second;
    j.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
            .count();
    if (state == JobStatus::State::Done && j.seconds > 0)
      j.megapixelsPerSecond = j.megapixels / j.seconds;
    j.finished = utcTimestamp();
    running_.clear();
    try {
      save(j);
    } catch (const std::exception &) {
      // The record stays in memory; a restart runs the job again.
    }
  }
}

std::string JobStore::describe(const JobStatus &job) {
  json j = toJson(job);
  bool running = job.state == JobStatus::State::Running;
  j["progress"] = job.state == JobStatus::State::Done ? 1.0
                  : running && job.tilesTotal > 0
                      ? double(job.tilesDone) / double(job.tilesTotal)
                      : 0.0;
  // The tiles left at the pace of those run so far.
  if (running && job.tilesDone > 0)
    j["eta_seconds"] = job.seconds * double(job.tilesTotal - job.tilesDone) /
                       double(job.tilesDone);
  return j.dump(1);
}

} // namespace sstep::serve
