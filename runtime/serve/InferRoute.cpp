//===- InferRoute.cpp - sstep-serve: POST /v2/models/{name}/infer ---------===//
//
// Admission first (429 beyond the in-flight limit, so that a burst is
// answered at once instead of queueing without end), then the request is
// parsed, checked against the memory budget by the planner's prediction
// (413 with the need), run on one of the model's sessions, and answered.
// The session is released before the answer is written, so a slow client
// holds no model.
//
//===----------------------------------------------------------------------===//

#include "runtime/plan/MemoryPlan.h"
#include "runtime/serve/InferProtocol.h"
#include "runtime/serve/Server.h"

namespace sstep::serve {
namespace {

/// Decrements the in-flight count however the request ends.
struct Admitted {
  explicit Admitted(std::atomic<size_t> &n) : n(n) {}
  ~Admitted() { --n; }
  std::atomic<size_t> &n;
};

int64_t tensorBytes(const std::vector<Tensor> &tensors) {
  int64_t bytes = 0;
  for (const Tensor &t : tensors)
    bytes += int64_t(t.data.size() * sizeof(float));
  return bytes;
}

} // namespace

void Server::addInferRoutes() {
  auto handler = [this](const httplib::Request &req, httplib::Response &res) {
    infer(req.matches[1], req, res);
  };
  http_.Post(R"(/v2/models/([^/]+)/infer)", route("infer", handler));
  http_.Post(R"(/v2/models/([^/]+)/versions/1/infer)", route("infer", handler));
}

void Server::infer(const std::string &name, const httplib::Request &req,
                   httplib::Response &res) {
  if (inflight_.fetch_add(1) >= options_.maxInflight) {
    --inflight_;
    res.set_header("Retry-After", "1");
    throw ProtocolError(429, std::to_string(options_.maxInflight) +
                                 " inference requests are in flight, the "
                                 "most this server takes; retry later");
  }
  Admitted admitted(inflight_);
  std::optional<RepositoryEntry> entry = repository_.find(name);
  if (!entry)
    throw ProtocolError(404, "no model '" + name + "'");
  if (!entry->model)
    throw ProtocolError(503, "model '" + name +
                                 "' is unavailable: " + entry->reason);
  std::shared_ptr<ServedModel> served = entry->model;
  const Program &program = served->model().program();

  std::optional<size_t> headerLength;
  if (req.has_header("Inference-Header-Content-Length")) {
    std::string text = req.get_header_value("Inference-Header-Content-Length");
    char *end = nullptr;
    unsigned long long n = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0')
      throw ProtocolError(400, "Inference-Header-Content-Length '" + text +
                                   "' is not a byte count");
    headerLength = size_t(n);
  }
  std::vector<TensorSpec> inputs = inputSpecsOf(program);
  std::vector<std::string> outputNames;
  for (const TensorSpec &out : outputSpecsOf(program))
    outputNames.push_back(out.name);
  InferRequest request =
      parseInferRequest(req.body, headerLength, inputs, outputNames);

  RunOptions options;
  options.backend = options_.session.backend;
  options.threads = options_.session.threads;
  options.memoryBudget = options_.memoryBudget;
  const Tensor &first = request.inputs.at(0);
  if (first.rank() != 4)
    throw ProtocolError(400, "input '" + inputs[0].name +
                                 "' must be an NCHW image (4 dimensions)");
  const int64_t height = first.dim(2), width = first.dim(3);
  int64_t inputBytes = tensorBytes(request.inputs);
  if (options_.memoryBudget > 0) {
    // The tiles get what the request's tensors and stored images leave.
    auto planWithin = [&](int64_t budget) {
      RunOptions o = options;
      o.memoryBudget = budget;
      try {
        return served->model().planFor({height, width}, o);
      } catch (const RuntimeError &e) {
        throw ProtocolError(413, e.what());
      }
    };
    int64_t held =
        inputBytes + planWithin(options_.memoryBudget).memory.storedBytes;
    if (held >= options_.memoryBudget)
      throw ProtocolError(
          413, "this request's tensors and stored images need about " +
                   plan::formatBytes(held) + "; the budget is " +
                   plan::formatBytes(options_.memoryBudget));
    options.memoryBudget = options_.memoryBudget - held;
    planWithin(options.memoryBudget);
  }

  exec::Stats stats;
  std::vector<Tensor> results;
  {
    ServedModel::Lease lease = served->acquire();
    results = lease.session().run(std::move(request.inputs), options, &stats);
  }
  metrics_.work("infer", stats.tilesRun, double(height) * double(width) / 1e6);
  InferResponse response =
      encodeInferResponse(name, request, outputNames, results);
  if (response.headerLength) {
    res.set_header("Inference-Header-Content-Length",
                   std::to_string(*response.headerLength));
    res.set_content(response.body, "application/octet-stream");
  } else {
    res.set_content(response.body, "application/json");
  }
}

} // namespace sstep::serve
