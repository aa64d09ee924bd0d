//===- Normalization.cpp - How RGB bytes become model input values --------===//

#include "runtime/core/Normalization.h"

#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace sstep {
namespace {

/// Three comma-separated floats, or throws.
std::array<float, 3> parseTriple(const std::string &text) {
  std::array<float, 3> values{};
  std::stringstream in(text);
  std::string item;
  size_t count = 0;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    float v = 0;
    try {
      v = std::stof(item, &used);
    } catch (const std::exception &) {
      used = 0;
    }
    if (used == 0 || used != item.size() || count == 3)
      throw std::invalid_argument("");
    values[count++] = v;
  }
  if (count != 3)
    throw std::invalid_argument("");
  return values;
}

} // namespace

Normalization Normalization::parse(const std::string &text) {
  Normalization n;
  if (text == "none")
    return n;
  if (text == "imagenet") {
    n.mean = {0.485f, 0.456f, 0.406f};
    n.std = {0.229f, 0.224f, 0.225f};
    return n;
  }
  size_t slash = text.find('/');
  try {
    if (slash == std::string::npos)
      throw std::invalid_argument("");
    n.mean = parseTriple(text.substr(0, slash));
    n.std = parseTriple(text.substr(slash + 1));
  } catch (const std::invalid_argument &) {
    throw std::invalid_argument("expected none, imagenet or "
                                "MEAN,MEAN,MEAN/STD,STD,STD, got \"" +
                                text + "\"");
  }
  for (float s : n.std)
    if (!(s > 0))
      throw std::invalid_argument("the deviations in \"" + text +
                                  "\" must be positive");
  return n;
}

std::array<float, 256> Normalization::table(int c) const {
  std::array<float, 256> t;
  for (int v = 0; v < 256; ++v)
    t[size_t(v)] = apply(c, uint8_t(v));
  return t;
}

bool Normalization::identity() const {
  Normalization none;
  return mean == none.mean && std == none.std;
}

std::string Normalization::str() const {
  char text[160];
  std::snprintf(text, sizeof text, "%.9g,%.9g,%.9g/%.9g,%.9g,%.9g", mean[0],
                mean[1], mean[2], std[0], std[1], std[2]);
  return text;
}

} // namespace sstep
