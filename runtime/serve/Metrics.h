//===- Metrics.h - What sstep-serve counts, in Prometheus text ---*- C++
//-*-===//
//
// Counters and latency histograms by route and status, inference and job
// megapixels and tiles, and gauges the server reads when scraped (queue
// depth, jobs by state, resident memory). Exposed at GET /metrics in the
// Prometheus text format (version 0.0.4):
//
//   # TYPE sstep_requests_total counter
//   sstep_requests_total{route="infer",code="200"} 12
//   # TYPE sstep_request_seconds histogram
//   sstep_request_seconds_bucket{route="infer",le="0.05"} 9
//   ...
//
// Routes are the server's route names, never raw paths, so that the label
// sets stay few whatever clients send.
//
//===----------------------------------------------------------------------===//

#ifndef SSTEP_RUNTIME_SERVE_METRICS_H
#define SSTEP_RUNTIME_SERVE_METRICS_H

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace sstep::serve {

class Metrics {
public:
  /// A request to `route` answered with `status` after `seconds`.
  void request(const std::string &route, int status, double seconds);
  /// Work done: tiles run and input megapixels, by "infer" or "job".
  void work(const std::string &kind, int64_t tiles, double megapixels);

  /// A gauge's name, help and value, read at scrape time.
  struct Gauge {
    std::string name, help;
    std::vector<std::pair<std::string, double>> labelled; // label text, value
  };
  /// The exposition of everything counted, then `gauges`.
  std::string text(const std::vector<Gauge> &gauges) const;

  /// Upper bounds of the latency buckets, in seconds.
  static const std::vector<double> &buckets();

private:
  struct Histogram {
    std::vector<int64_t> counts; // per bucket, not cumulative
    int64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, std::pair<int64_t, double>> work_;
};

} // namespace sstep::serve

#endif // SSTEP_RUNTIME_SERVE_METRICS_H
