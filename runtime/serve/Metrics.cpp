//===- Metrics.cpp - What sstep-serve counts, in Prometheus text ----------===//

#include "runtime/serve/Metrics.h"

#include <cstdio>
#include <sstream>

namespace sstep::serve {
namespace {

std::string number(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.15g", v);
  return buffer;
}

} // namespace

const std::vector<double> &Metrics::buckets() {
  static const std::vector<double> b = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,  0.1,    0.25,  0.5,  1,
                                        2.5,   5,      10,    30,   60};
  return b;
}

void Metrics::request(const std::string &route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, status}];
  Histogram &h = latency_[route];
  if (h.counts.empty())
    h.counts.assign(buckets().size(), 0);
  for (size_t i = 0; i < buckets().size(); ++i)
    if (seconds <= buckets()[i]) {
      ++h.counts[i];
      break;
    }
  ++h.count;
  h.sum += seconds;
}

void Metrics::work(const std::string &kind, int64_t tiles, double megapixels) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto &w = work_[kind];
  w.first += tiles;
  w.second += megapixels;
}

std::string Metrics::text(const std::vector<Gauge> &gauges) const {
  std::ostringstream out;
  std::lock_guard<std::mutex> lock(mutex_);
  out << "# HELP sstep_requests_total HTTP requests answered, by route and "
         "status.\n# TYPE sstep_requests_total counter\n";
  for (const auto &[key, n] : requests_)
    out << "sstep_requests_total{route=\"" << key.first << "\",code=\""
        << key.second << "\"} " << n << "\n";
  out << "# HELP sstep_request_seconds Time from a request's arrival to its "
         "answer.\n# TYPE sstep_request_seconds histogram\n";
  for (const auto &[route, h] : latency_) {
    int64_t cumulative = 0;
    for (size_t i = 0; i < buckets().size(); ++i) {
      cumulative += h.counts[i];
      out << "sstep_request_seconds_bucket{route=\"" << route << "\",le=\""
          << number(buckets()[i]) << "\"} " << cumulative << "\n";
    }
    out << "sstep_request_seconds_bucket{route=\"" << route
        << "\",le=\"+Inf\"} " << h.count << "\n";
    out << "sstep_request_seconds_sum{route=\"" << route << "\"} "
        << number(h.sum) << "\n";
    out << "sstep_request_seconds_count{route=\"" << route << "\"} " << h.count
        << "\n";
  }
  out << "# HELP sstep_tiles_total Tiles run, by inference requests and slide "
         "jobs.\n# TYPE sstep_tiles_total counter\n";
  for (const auto &[kind, w] : work_)
    out << "sstep_tiles_total{kind=\"" << kind << "\"} " << w.first << "\n";
  out << "# HELP sstep_megapixels_total Input megapixels processed.\n"
         "# TYPE sstep_megapixels_total counter\n";
  for (const auto &[kind, w] : work_)
    out << "sstep_megapixels_total{kind=\"" << kind << "\"} "
        << number(w.second) << "\n";
  for (const Gauge &g : gauges) {
    out << "# HELP " << g.name << " " << g.help << "\n# TYPE " << g.name
        << " gauge\n";
    for (const auto &[labels, value] : g.labelled)
      out << g.name << (labels.empty() ? "" : "{" + labels + "}") << " "
          << number(value) << "\n";
  }
  return out.str();
}

} // namespace sstep::serve
