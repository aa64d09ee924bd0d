//===- Server.cpp - sstep-serve: routes, probes, metadata and metrics -----===//

#include "runtime/serve/Server.h"
#include "runtime/core/ProcessMemory.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/serve/InferProtocol.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <sys/socket.h>

namespace sstep::serve {
namespace {

using nlohmann::json;

/// Whether `given` is the token, in time independent of where they differ.
bool sameSecret(const std::string &given, const std::string &token) {
  if (given.size() != token.size() || token.empty())
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  return diff == 0;
}

} // namespace

void answerError(httplib::Response &response, int status,
                 const std::string &message) {
  response.status = status;
  response.set_content(errorBody(message), "application/json");
}

Server::Server(ServerOptions options)
    : options_(std::move(options)),
      repository_(options_.models, options_.session, options_.instances),
      roots_(options_.slideRoots) {
  jobs_ = std::make_unique<JobStore>(
      options_.jobs, options_.maxQueuedJobs,
      [this](const JobSpec &spec, const std::string &out,
             const std::function<void(int64_t, int64_t, double)> &onTile) {
        return runJob(spec, out, onTile);
      });
  int threads = options_.httpThreads;
  http_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_.set_payload_max_length(size_t(options_.maxRequestBytes));
  // A client that stops sending or reading holds its own thread only, and
  // not for long.
  http_.set_read_timeout(30);
  http_.set_write_timeout(30);
  http_.set_tcp_nodelay(true);
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a
  // second server binds the same port and silently takes half the requests.
  http_.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  http_.set_pre_routing_handler(
      [this](const httplib::Request &req, httplib::Response &res) {
        if (options_.token.empty() || req.path.rfind("/v2/health/", 0) == 0)
          return httplib::Server::HandlerResponse::Unhandled;
        std::string given = req.get_header_value("Authorization");
        const std::string scheme = "Bearer ";
        if (given.rfind(scheme, 0) == 0 &&
            sameSecret(given.substr(scheme.size()), options_.token))
          return httplib::Server::HandlerResponse::Unhandled;
        res.set_header("WWW-Authenticate", "Bearer");
        answerError(res, 401, "this server wants Authorization: Bearer TOKEN");
        metrics_.request("unauthorized", 401, 0);
        return httplib::Server::HandlerResponse::Handled;
      });
  http_.set_error_handler(
      [this](const httplib::Request &req, httplib::Response &res) {
        if (!res.body.empty())
          return;
        if (res.status == 404)
          answerError(res, 404, "no route " + req.method + " " + req.path);
        else if (res.status == 413)
          answerError(res, 413,
                      "the request is larger than --max-request allows (" +
                          std::to_string(options_.maxRequestBytes) + " bytes)");
        else
          answerError(res, res.status, "bad request");
        metrics_.request("none", res.status, 0);
      });
  addProtocolRoutes();
  addInferRoutes();
  addJobRoutes();
}

Server::~Server() { stop(); }

Server::Handler Server::route(const std::string &name, Handler handler) {
  return [this, name, handler](const httplib::Request &req,
                               httplib::Response &res) {
    auto begin = std::chrono::steady_clock::now();
    try {
      handler(req, res);
    } catch (const ProtocolError &e) {
      answerError(res, e.status, e.what());
    } catch (const PathRefused &e) {
      answerError(res, 403, e.what());
    } catch (const RuntimeError &e) {
      answerError(res, 400, e.what());
    } catch (const std::exception &e) {
      answerError(res, 500, e.what());
    }
    int status = res.status < 0 ? 200 : res.status;
    metrics_.request(
        name, status,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
            .count());
  };
}

void Server::addProtocolRoutes() {
  auto jsonAnswer = [](httplib::Response &res, const json &j,
                       int status = 200) {
    res.status = status;
    res.set_content(j.dump(), "application/json");
  };
  http_.Get("/v2/health/live", route("health", [=](auto &, auto &res) {
              jsonAnswer(res, {{"live", true}});
            }));
  http_.Get("/v2/health/ready", route("health", [=](auto &, auto &res) {
              bool ready = !stopping_;
              jsonAnswer(res, {{"ready", ready}}, ready ? 200 : 503);
            }));
  http_.Get("/v2", route("metadata", [=](auto &, auto &res) {
              jsonAnswer(res, {{"name", "sstep"},
                               {"version", SSTEP_VERSION},
                               {"extensions",
                                {"binary_tensor_data", "model_repository",
                                 "slide_jobs"}}});
            }));
  auto metadata = [=](const httplib::Request &req, httplib::Response &res) {
    std::string name = req.matches[1];
    std::optional<RepositoryEntry> e = repository_.find(name);
    if (!e)
      throw ProtocolError(404, "no model '" + name + "'");
    if (!e->model)
      throw ProtocolError(503,
                          "model '" + name + "' is unavailable: " + e->reason);
    const Program &p = e->model->model().program();
    res.set_content(modelMetadata(name, inputSpecsOf(p), outputSpecsOf(p)),
                    "application/json");
  };
  http_.Get(R"(/v2/models/([^/]+))", route("model_metadata", metadata));
  http_.Get(R"(/v2/models/([^/]+)/versions/1)",
            route("model_metadata", metadata));
  auto ready = [=](const httplib::Request &req, httplib::Response &res) {
    std::string name = req.matches[1];
    std::optional<RepositoryEntry> e = repository_.find(name);
    if (!e)
      throw ProtocolError(404, "no model '" + name + "'");
    json j = {{"name", name}, {"ready", e->model != nullptr}};
    if (!e->model)
      j["error"] = e->reason;
    jsonAnswer(res, j, e->model ? 200 : 503);
  };
  http_.Get(R"(/v2/models/([^/]+)/ready)", route("model_ready", ready));
  http_.Get(R"(/v2/models/([^/]+)/versions/1/ready)",
            route("model_ready", ready));
  http_.Post("/v2/repository/index",
             route("repository", [=](auto &, auto &res) {
               repository_.refresh();
               json list = json::array();
               for (const RepositoryEntry &e : repository_.entries()) {
                 json j = {{"name", e.name},
                           {"version", "1"},
                           {"state", e.model ? "READY" : "UNAVAILABLE"}};
                 if (!e.model)
                   j["reason"] = e.reason;
                 list.push_back(j);
               }
               jsonAnswer(res, list);
             }));
  http_.Get("/metrics", route("metrics", [=](auto &, auto &res) {
              res.set_content(metricsText(), "text/plain; version=0.0.4");
            }));
}

std::string Server::metricsText() const {
  std::vector<Metrics::Gauge> gauges;
  gauges.push_back({"sstep_inference_inflight",
                    "Inference requests running or waiting for a model.",
                    {{"", double(inflight_.load())}}});
  Metrics::Gauge jobs{"sstep_jobs", "Slide jobs by state.", {}};
  for (const auto &[state, n] : jobs_->counts())
    jobs.labelled.push_back({"state=\"" + state + "\"", double(n)});
  gauges.push_back(jobs);
  Metrics::Gauge models{
      "sstep_models", "Models in the repository by state.", {}};
  double readyModels = 0, unavailable = 0;
  for (const RepositoryEntry &e : repository_.entries())
    (e.model ? readyModels : unavailable) += 1;
  models.labelled = {{"state=\"ready\"", readyModels},
                     {"state=\"unavailable\"", unavailable}};
  gauges.push_back(models);
  gauges.push_back({"process_resident_memory_bytes",
                    "Resident memory of the server process.",
                    {{"", double(residentBytes())}}});
  return metrics_.text(gauges);
}

int Server::bind() {
  int port =
      options_.port == 0
          ? http_.bind_to_any_port(options_.host)
          : (http_.bind_to_port(options_.host, options_.port) ? options_.port
                                                              : -1);
  if (port < 0)
    throw RuntimeError("cannot listen on " + options_.host + ":" +
                       std::to_string(options_.port));
  return port;
}

void Server::run() {
  jobs_->start();
  std::thread poller([this] {
    std::unique_lock<std::mutex> lock(pollMutex_);
    while (!stopping_) {
      pollWake_.wait_for(lock,
                         std::chrono::duration<double>(options_.pollSeconds));
      if (stopping_)
        break;
      lock.unlock();
      try {
        if (int changed = repository_.refresh())
          std::fprintf(options_.log, "sstep-serve: %d model(s) changed\n",
                       changed);
      } catch (const std::exception &e) {
        std::fprintf(options_.log, "sstep-serve: %s\n", e.what());
      }
      lock.lock();
    }
  });
  http_.listen_after_bind();
  stop();
  poller.join();
  jobs_->stop();
}

void Server::stop() {
  {
    std::lock_guard<std::mutex> lock(pollMutex_);
    stopping_ = true;
  }
  pollWake_.notify_all();
  http_.stop();
}

} // namespace sstep::serve
