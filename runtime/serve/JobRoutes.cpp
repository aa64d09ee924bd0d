//===- JobRoutes.cpp - sstep-serve: slide jobs over HTTP ------------------===//
//
// POST /v1/jobs {"model": "m", "slide": "case1/a.svs", "output": "heat.tif",
//                "level": 0, "normalize": "imagenet", "tissue_mask": false,
//                "tile": 0, "output_name": ""}
//   -> 201 {"id": "...", "state": "queued"}, Location: /v1/jobs/{id}
// GET /v1/jobs/{id}          state, tiles done of total, MP/s, ETA, error
// GET /v1/jobs/{id}/result   the output file, once done (409 before)
// DELETE /v1/jobs/{id}       cancels a queued or running job; deletes a
//                            finished one with its files
//
// The job runs as `sstep-run MODEL SLIDE -o OUTPUT` would with the server's
// backend, threads and memory budget, so its output is the CLI's, byte for
// byte.
//
//===----------------------------------------------------------------------===//

#include "runtime/api/Slide.h"
#include "runtime/pipeline/OutputFormat.h"
#include "runtime/serve/InferProtocol.h"
#include "runtime/serve/Server.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <regex>
#include <sys/stat.h>
#include <unistd.h>

namespace sstep::serve {
namespace {

using nlohmann::json;

template <typename T> T field(const json &j, const char *key, T fallback) {
  if (!j.contains(key))
    return fallback;
  try {
    return j.at(key).get<T>();
  } catch (const json::exception &) {
    throw ProtocolError(400, std::string("job field '") + key +
                                 "' has the wrong type");
  }
}

JobSpec parseJob(const std::string &body) {
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception &e) {
    throw ProtocolError(400, std::string("malformed JSON: ") + e.what());
  }
  if (!j.is_object())
    throw ProtocolError(400, "a job is a JSON object");
  JobSpec spec;
  spec.model = field<std::string>(j, "model", "");
  spec.slide = field<std::string>(j, "slide", "");
  if (spec.model.empty() || spec.slide.empty())
    throw ProtocolError(400, "a job needs a model and a slide");
  spec.output = field<std::string>(j, "output", spec.output);
  spec.outputName = field<std::string>(j, "output_name", "");
  spec.level = field<int>(j, "level", 0);
  spec.normalize = field<std::string>(j, "normalize", spec.normalize);
  spec.tissueMask = field<bool>(j, "tissue_mask", false);
  spec.tile = field<int64_t>(j, "tile", 0);
  if (spec.output.empty() || spec.output[0] == '.' ||
      spec.output.find('/') != std::string::npos ||
      spec.output.find(".journal") != std::string::npos)
    throw ProtocolError(400, "output '" + spec.output +
                                 "' must be a plain file name");
  if (!pipeline::formatOf(spec.output))
    throw ProtocolError(400, "output '" + spec.output +
                                 "' is of no known type (.tif, .h5, .npy, "
                                 ".json)");
  if (spec.level < 0 || spec.tile < 0)
    throw ProtocolError(400, "level and tile must not be negative");
  try {
    pipeline::Normalization::parse(spec.normalize);
  } catch (const std::invalid_argument &e) {
    throw ProtocolError(400, std::string("normalize: ") + e.what());
  }
  return spec;
}

/// The index of the output called `name` ("": the first).
size_t outputIndex(const Program &program, const std::string &name) {
  if (name.empty())
    return 0;
  for (size_t i = 0; i < program.outputs.size(); ++i)
    if (program.outputName(i) == name)
      return i;
  throw ProtocolError(400, "the model has no output '" + name + "'");
}

std::string contentType(const std::string &file) {
  auto ends = [&](const std::string &ext) {
    return file.size() >= ext.size() &&
           file.compare(file.size() - ext.size(), ext.size(), ext) == 0;
  };
  if (ends(".tif") || ends(".tiff"))
    return "image/tiff";
  if (ends(".json"))
    return "application/json";
  if (ends(".h5"))
    return "application/x-hdf5";
  return "application/octet-stream";
}

/// Job ids are 16 hex digits: anything else names no folder.
bool validId(const std::string &id) {
  static const std::regex hex("[0-9a-f]{16}");
  return std::regex_match(id, hex);
}

} // namespace

std::pair<int64_t, double>
Server::runJob(const JobSpec &spec, const std::string &outputPath,
               const std::function<void(int64_t, int64_t, double)> &onTile) {
  std::optional<RepositoryEntry> entry = repository_.find(spec.model);
  if (!entry || !entry->model)
    throw RuntimeError("model '" + spec.model + "' is not loaded");
  std::shared_ptr<ServedModel> served = entry->model;
  SlideJob job;
  job.backend = options_.session.backend;
  job.threads = options_.session.threads;
  job.deviceMemory = options_.session.deviceMemory;
  job.memoryBudget = options_.memoryBudget;
  job.tileEdge = spec.tile;
  job.run.level = spec.level;
  job.run.normalization = pipeline::Normalization::parse(spec.normalize);
  job.run.tissueMask = spec.tissueMask;
  job.run.progress = false;
  job.run.fingerprint = job.backend;
  job.run.outputs.push_back(
      {outputIndex(served->model().program(), spec.outputName), outputPath});
  job.run.onTile = onTile;
  pipeline::SlideRunReport report =
      runOnSlide(served->model(), roots_.resolve(spec.slide), job);
  double megapixels = double(report.level[0]) * double(report.level[1]) / 1e6;
  metrics_.work("job", report.stats.tilesRun, megapixels);
  return {report.tilesResumed, megapixels};
}

void Server::addJobRoutes() {
  http_.Post("/v1/jobs", route("jobs", [this](auto &req, auto &res) {
               JobSpec spec = parseJob(req.body);
               std::optional<RepositoryEntry> e = repository_.find(spec.model);
               if (!e)
                 throw ProtocolError(404, "no model '" + spec.model + "'");
               if (!e->model)
                 throw ProtocolError(503, "model '" + spec.model +
                                              "' is unavailable: " + e->reason);
               outputIndex(e->model->model().program(), spec.outputName);
               spec.slide = roots_.resolve(spec.slide);
               std::string id = jobs_->submit(spec);
               res.status = 201;
               res.set_header("Location", "/v1/jobs/" + id);
               res.set_content(json({{"id", id}, {"state", "queued"}}).dump(),
                               "application/json");
             }));
  http_.Get("/v1/jobs", route("jobs", [this](auto &, auto &res) {
              json list = json::array();
              for (const JobStatus &j : jobs_->list())
                list.push_back(json::parse(JobStore::describe(j)));
              res.set_content(list.dump(1), "application/json");
            }));
  auto find = [this](const std::string &id) {
    std::optional<JobStatus> job = validId(id) ? jobs_->get(id) : std::nullopt;
    if (!job)
      throw ProtocolError(404, "no job '" + id + "'");
    return *job;
  };
  http_.Get(R"(/v1/jobs/([^/]+))", route("job", [=](auto &req, auto &res) {
              res.set_content(JobStore::describe(find(req.matches[1])),
                              "application/json");
            }));
  http_.Get(
      R"(/v1/jobs/([^/]+)/result)",
      route("job_result", [=](auto &req, auto &res) {
        JobStatus job = find(req.matches[1]);
        if (job.state != JobStatus::State::Done)
          throw ProtocolError(409, "job " + job.id + " is " +
                                       stateName(job.state) + ", not done");
        std::string path = jobs_->outputPath(job);
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st {};
        if (fd < 0 || ::fstat(fd, &st) != 0) {
          if (fd >= 0)
            ::close(fd);
          throw ProtocolError(410, "job " + job.id +
                                       "'s output is gone from the "
                                       "server");
        }
        res.set_header("Content-Disposition",
                       "attachment; filename=\"" + job.spec.output + "\"");
        res.set_content_provider(
            size_t(st.st_size), contentType(job.spec.output),
            [fd](size_t offset, size_t length, httplib::DataSink &sink) {
              char buffer[1 << 16];
              ssize_t n = ::pread(fd, buffer, std::min(length, sizeof buffer),
                                  off_t(offset));
              if (n <= 0)
                return false;
              return sink.write(buffer, size_t(n));
            },
            [fd](bool) { ::close(fd); });
      }));
  http_.Delete(R"(/v1/jobs/([^/]+))", route("job", [=](auto &req, auto &res) {
                 JobStatus job = find(req.matches[1]);
                 jobs_->cancel(job.id);
                 std::string now =
                     job.state == JobStatus::State::Running  ? "cancelling"
                     : job.state == JobStatus::State::Queued ? "cancelled"
                                                             : "deleted";
                 res.set_content(json({{"id", job.id}, {"state", now}}).dump(),
                                 "application/json");
               }));
}

} // namespace sstep::serve
