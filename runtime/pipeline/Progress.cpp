//===- Progress.cpp - Tiles done, throughput and time left ----------------===//

#include "runtime/pipeline/Progress.h"

#include <cmath>

namespace sstep::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

double secondsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

} // namespace

std::string formatDuration(double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds))
    return "?";
  long long s = std::llround(seconds);
  char text[32];
  if (seconds < 9.95) // a short run's time, to a tenth
    std::snprintf(text, sizeof text, "%.1fs", seconds);
  else if (s < 60)
    std::snprintf(text, sizeof text, "%llds", s);
  else if (s < 3600)
    std::snprintf(text, sizeof text, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%lldh%02lldm", s / 3600, s / 60 % 60);
  return text;
}

std::string formatProgress(int stage, int stages, int64_t done, int64_t total,
                           double tilesPerSecond, double megapixelsPerSecond,
                           double seconds, bool finished,
                           const std::string &tool, const std::string &unit) {
  char text[200];
  char where[32] = "";
  if (stages > 1)
    std::snprintf(where, sizeof where, "stage %d/%d, ", stage + 1, stages);
  std::snprintf(text, sizeof text,
                "%s: %s%s %lld/%lld (%.0f%%), %.3g %s/s, "
                "%.3g MP/s, %s %s",
                tool.c_str(), where, unit.c_str(), (long long)done,
                (long long)total,
                total ? 100.0 * double(done) / double(total) : 100.0,
                tilesPerSecond, unit.c_str(), megapixelsPerSecond,
                finished ? "done in" : "ETA", formatDuration(seconds).c_str());
  return text;
}

Progress::Progress(std::FILE *out, bool enabled, bool terminal, int stages,
                   std::string tool, std::string unit)
    : out_(out), enabled_(enabled), terminal_(terminal), stages_(stages),
      tool_(std::move(tool)), unit_(std::move(unit)), stageStart_(Clock::now()),
      lastPrint_(stageStart_) {}

void Progress::tile(const exec::TileId &id, bool ran, double inputPixels) {
  auto now = Clock::now();
  if (id.stage != stage_) {
    if (stage_ >= 0) // each stage ends with its own line
      print(true);
    if (stage_ >= 0)
      stageStart_ = lastPrint_ = now;
    stage_ = id.stage;
    ++ordinal_;
    total_ = id.count;
    toRun_ =
        id.stage == 0 && firstStageToRun_ >= 0 ? firstStageToRun_ : id.count;
    ran_ = 0;
    pixels_ = 0;
  }
  done_ = id.index + 1;
  if (ran) {
    ++ran_;
    pixels_ += inputPixels;
  }
  if (!enabled_)
    return;
  double interval = terminal_ ? 0.25 : 5.0;
  if (secondsBetween(lastPrint_, now) >= interval) {
    lastPrint_ = now;
    print(false);
  }
}

void Progress::print(bool final) {
  if (!enabled_)
    return;
  double elapsed = secondsBetween(stageStart_, Clock::now());
  double rate = elapsed > 0 ? double(ran_) / elapsed : 0;
  double mps = elapsed > 0 ? pixels_ / 1e6 / elapsed : 0;
  double eta = rate > 0 ? double(toRun_ - ran_) / rate : -1;
  std::string line = formatProgress(ordinal_, stages_, done_, total_, rate, mps,
                                    final ? elapsed : eta, final, tool_, unit_);
  if (terminal_) {
    // Pad over the previous line's tail; the newline comes with end().
    size_t width = line.size();
    if (width < lastWidth_)
      line.append(lastWidth_ - width, ' ');
    lastWidth_ = width;
    std::fprintf(out_, "\r%s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

void Progress::end() {
  if (stage_ >= 0)
    print(true);
}

} // namespace sstep::pipeline
