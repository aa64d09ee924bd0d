//===- sstep-serve.cpp - Serve plans over HTTP: inference and slide jobs --===//
//
// Exit codes follow the project's contract: 0 after SIGTERM or SIGINT (a
// running slide job stays on disk and resumes at the next start), 2 bad
// input (usage, a bad --models or --slide-root folder, a port in use), 1
// internal error.
//
//===----------------------------------------------------------------------===//

#include "runtime/api/Backends.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/plan/MemoryPlan.h"
#include "runtime/serve/Server.h"
#include "tools/common/Args.h"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <pthread.h>
#include <thread>

using namespace sstep;

namespace {

const char *kUsage = R"(usage: sstep-serve --models DIR [options]

Serves every plan or inference binary in DIR (reloaded when it changes) over
HTTP/1.1: the Open Inference Protocol (KServe v2, what Triton clients speak)
under /v2, slide jobs under /v1/jobs, Prometheus metrics at /metrics.

  --host ADDR            address to bind (default 127.0.0.1: this machine only)
  --port P               port (default 8000; 0: any free port, printed)
  --backend NAME         cpu, reference or cuda (default cpu)
  --threads N            worker threads per run (default: all cores)
  --instances N          sessions per model running at once (default 1)
  --memory-budget SIZE   one inference's tensors and tiles, one slide job's
                         tiles (default 2GiB)
  --device-memory SIZE   GPU arena (default: half of what is free)
  --max-inflight N       inference requests running or waiting before 429
                         (default 16)
  --max-jobs N           slide jobs queued before 429 (default 64)
  --max-request SIZE     largest request body (default 256MiB)
  --slide-root DIR       a folder slide jobs may read (repeatable; without
                         one the server runs no slide jobs)
  --jobs DIR             where jobs and their outputs live (default
                         ./sstep-jobs); jobs left running resume at start
  --token-file FILE      want "Authorization: Bearer <its first line>" on
                         every route but /v2/health (or SSTEP_SERVE_TOKEN)
  --poll SECONDS         how often DIR is scanned for changes (default 2)
  --http-threads N       connections served at once (default 32)
)";

std::string readToken(const std::string &file) {
  std::ifstream in(file);
  std::string token;
  if (!in || !std::getline(in, token) || token.empty())
    throw tool::UsageError("--token-file " + file +
                           ": cannot read a token from its first line");
  return token;
}

serve::ServerOptions parse(const std::vector<std::string> &argv) {
  tool::Args args(argv, {"help"},
                  {"models", "host", "port", "backend", "threads", "instances",
                   "memory-budget", "device-memory", "max-inflight", "max-jobs",
                   "max-request", "slide-root", "jobs", "token-file", "poll",
                   "http-threads"});
  if (!args.positional().empty())
    throw tool::UsageError("unexpected argument '" + args.positional()[0] +
                           "'");
  serve::ServerOptions o;
  o.models = args.require("models");
  o.host = args.get("host", o.host);
  o.port = int(args.getInt("port", o.port));
  o.session.backend = args.get("backend", "cpu");
  if (!hasBackend(o.session.backend))
    throw tool::UsageError("--backend " + o.session.backend +
                           ": this build has " + backendNames());
  o.session.threads = int(args.getInt("threads", 0));
  o.instances = int(args.getInt("instances", 1));
  auto bytes = [&](const char *name, int64_t fallback) {
    if (!args.has(name))
      return fallback;
    try {
      return plan::parseBytes(args.get(name));
    } catch (const std::invalid_argument &e) {
      throw tool::UsageError(std::string("--") + name + ": " + e.what());
    }
  };
  o.memoryBudget = bytes("memory-budget", o.memoryBudget);
  o.session.deviceMemory = bytes("device-memory", 0);
  o.maxRequestBytes = bytes("max-request", o.maxRequestBytes);
  o.maxInflight = size_t(args.getInt("max-inflight", 16));
  o.maxQueuedJobs = size_t(args.getInt("max-jobs", 64));
  o.slideRoots = args.getAll("slide-root");
  o.jobs = args.get("jobs", o.jobs);
  if (args.has("token-file"))
    o.token = readToken(args.get("token-file"));
  else if (const char *t = std::getenv("SSTEP_SERVE_TOKEN"))
    o.token = t;
  o.pollSeconds = tool::parseDouble("--poll", args.get("poll", "2"));
  o.httpThreads = int(args.getInt("http-threads", 32));
  if (o.port < 0 || o.port > 65535 || o.instances < 1 || o.maxInflight < 1 ||
      o.httpThreads < 2 || o.pollSeconds <= 0 || o.session.threads < 0)
    throw tool::UsageError("--port, --instances, --max-inflight, "
                           "--http-threads, --poll or --threads out of range");
  return o;
}

} // namespace

int main(int argc, char **argv) {
  // No configureAllocatorForTiles() here, unlike sstep-run: a server runs
  // many small requests, and a fixed 1 MiB mmap threshold maps and unmaps
  // (and zero-fills) every activation of each one. ResNet-18 on 224 x 224
  // requests took 22.8 ms with it and 14.3 ms without, against 15.0 ms for
  // the same run in-process through the Python package.
  std::vector<std::string> argsv(argv + 1, argv + argc);
  for (const std::string &a : argsv)
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
  // Signals go to one thread, which stops the server; every other thread
  // (made after this) has them blocked.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    serve::ServerOptions options = parse(argsv);
    serve::Server server(options);
    int port = server.bind();
    std::fprintf(stderr, "sstep-serve: listening on http://%s:%d\n",
                 options.host.c_str(), port);
    std::fflush(stderr);
    std::thread([&server, signals] {
      int signal = 0;
      sigwait(&signals, &signal);
      std::fprintf(stderr, "sstep-serve: %s, stopping\n",
                   signal == SIGTERM ? "SIGTERM" : "SIGINT");
      server.stop();
    }).detach();
    server.run();
    return 0;
  } catch (const tool::UsageError &e) {
    std::cerr << "sstep-serve: error: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const serve::PathRefused &e) {
    std::cerr << "sstep-serve: error: " << e.what() << "\n";
    return 2;
  } catch (const RuntimeError &e) {
    std::cerr << "sstep-serve: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception &e) {
    std::cerr << "sstep-serve: internal error: " << e.what() << "\n";
    return 1;
  }
}
