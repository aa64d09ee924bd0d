//===- Server.h - sstep-serve: inference protocol, slide jobs --*- C++ -*-===//
//
// One HTTP/1.1 server (cpp-httplib, a thread per connection from a bounded
// pool) over a ModelRepository and a JobStore:
//
//   GET  /v2, /v2/health/live, /v2/health/ready      server metadata, probes
//   GET  /v2/models/{name}[/versions/1][/ready]      model metadata, readiness
//   POST /v2/models/{name}[/versions/1]/infer        KServe v2 inference
//   POST /v2/repository/index                        every model and its state
//   POST /v1/jobs  GET /v1/jobs[/{id}[/result]]  DELETE /v1/jobs/{id}
//   GET  /metrics                                    Prometheus text
//
// Inference requests beyond `maxInflight` (running or waiting for a model
// instance) are answered 429 at once; one whose tensors and tiles would not
// fit the memory budget 413 with the predicted need. With a token, every
// route but the health probes wants "Authorization: Bearer TOKEN".
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SERVE_SERVER_H
#define SSTEP_RUNTIME_SERVE_SERVER_H

#include "runtime/serve/JobStore.h"
#include "runtime/serve/Metrics.h"
#include "runtime/serve/ModelRepository.h"
#include "runtime/serve/SlideRoots.h"

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace sstep::serve {

struct ServerOptions {
  std::string models;
  std::string host = "127.0.0.1";
  int port = 8000; // 0: any free port
  SessionOptions session;
  /// Sessions per model that run at once.
  int instances = 1;
  /// Tensors plus tiles of one inference, and each slide job's tiles.
  int64_t memoryBudget = int64_t(2) << 30;
  size_t maxInflight = 16;
  size_t maxQueuedJobs = 64;
  int64_t maxRequestBytes = int64_t(256) << 20;
  std::vector<std::string> slideRoots;
  std::string jobs = "sstep-jobs";
  /// Empty: no authentication.
  std::string token;
  double pollSeconds = 2;
  int httpThreads = 32;
  std::FILE *log = stderr;
};

class Server {
public:
  /// Loads the models and the jobs. Throws RuntimeError naming a bad folder.
  explicit Server(ServerOptions options);
  ~Server();

  /// Binds the socket; returns the port (the one chosen for port 0).
  /// Throws RuntimeError when it cannot.
  int bind();
  /// Serves until stop(); starts the job worker and the model poller.
  void run();
  /// Ends run() from any thread (a signal handler's thread included).
  void stop();

private:
  using Handler =
      std::function<void(const httplib::Request &, httplib::Response &)>;
  /// `handler` under the route name `route`: timed, counted, and its
  /// exceptions answered as the protocol's error body.
  Handler route(const std::string &route, Handler handler);
  void addProtocolRoutes();
  void addInferRoutes();
  void addJobRoutes();
  void infer(const std::string &name, const httplib::Request &request,
             httplib::Response &response);
  std::pair<int64_t, double>
  runJob(const JobSpec &spec, const std::string &outputPath,
         const std::function<void(int64_t, int64_t, double)> &onTile);
  std::string metricsText() const;

  ServerOptions options_;
  ModelRepository repository_;
  SlideRoots roots_;
  Metrics metrics_;
  std::unique_ptr<JobStore> jobs_;
  httplib::Server http_;
  std::atomic<size_t> inflight_{0};
  std::atomic<bool> stopping_{false};
  std::mutex pollMutex_;
  std::condition_variable pollWake_;
};

/// The JSON error body for `status` and `message`, set on `response`.
void answerError(httplib::Response &response, int status,
                 const std::string &message);

} // namespace sstep::serve

#endif // SSTEP_RUNTIME_SERVE_SERVER_H
