//===- RandomNet.cpp - Random spatial networks for property tests ---------===//

#include "test/unit/RandomNet.h"
#include "dialects/sstep/IR/SpatialRules.h"

#include <cstdio>
#include <cstring>

namespace sstep::test {

RandomNet::RandomNet(uint32_t seed, std::array<int64_t, 2> image,
                     int64_t channels, bool trainable, bool staged)
    : rng(seed), trainable(trainable), staged(staged) {
  values.push_back({"%x", channels, image});
}

int64_t RandomNet::pick(int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

bool RandomNet::chance(double p) { return std::bernoulli_distribution(p)(rng); }

const RandomNet::Val &RandomNet::anyValue() {
  // Mostly recent values, so that networks grow deep, sometimes older ones
  // (skip connections).
  size_t n = values.size();
  if (chance(0.7))
    return values[n - 1 - pick(0, std::min<int64_t>(1, n - 1))];
  return values[pick(0, n - 1)];
}

std::string RandomNet::type(const Val &v) const {
  return "tensor<1x" + std::to_string(v.channels) + "x?x?xf32>";
}

std::string RandomNet::fresh() { return "%v" + std::to_string(counter++); }

std::string RandomNet::ints(const std::vector<int64_t> &list) const {
  std::string text = "array<i64: ";
  for (size_t i = 0; i < list.size(); ++i)
    text += (i ? ", " : "") + std::to_string(list[i]);
  return text + ">";
}

std::string RandomNet::constant(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  std::string type = "tensor<";
  for (int64_t d : shape) {
    n *= d;
    type += std::to_string(d) + "x";
  }
  type += "f32>";
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  std::string hex = "0x";
  for (int64_t i = 0; i < n; ++i) {
    float f = value(rng);
    unsigned char bytes[4];
    std::memcpy(bytes, &f, 4);
    char digits[9];
    std::snprintf(digits, sizeof digits, "%02X%02X%02X%02X", bytes[0], bytes[1],
                  bytes[2], bytes[3]);
    hex += digits;
  }
  std::string name = fresh();
  body +=
      "  " + name + " = arith.constant dense<\"" + hex + "\"> : " + type + "\n";
  return name;
}

void RandomNet::define(std::string name, int64_t channels,
                       std::array<int64_t, 2> size) {
  values.push_back({std::move(name), channels, size});
}

bool RandomNet::conv(const Val &in) {
  int64_t k[2], s[2], d[2], pb[2], pe[2];
  std::array<int64_t, 2> out;
  for (int a = 0; a < 2; ++a) {
    k[a] = pick(1, 4);
    s[a] = pick(1, 3);
    d[a] = k[a] > 1 ? pick(1, 2) : 1;
    pb[a] = pick(0, d[a] * (k[a] - 1));
    pe[a] = pick(0, d[a] * (k[a] - 1));
    out[a] = windowOutputSize(in.size[a], {k[a], s[a], d[a], pb[a], pe[a]});
    if (out[a] < 1)
      return false;
  }
  bool depthwise = chance(0.25);
  int64_t m = depthwise ? in.channels : pick(1, 4);
  std::string w = constant({m, depthwise ? 1 : in.channels, k[0], k[1]});
  std::string b = chance(0.5) ? constant({m}) : "";
  std::string y = fresh();
  Val result{y, m, out};
  body += "  " + y + " = sstep.conv2d " + in.name + ", " + w +
          (b.empty() ? "" : ", " + b) + " {strides = " + ints({s[0], s[1]}) +
          ", dilations = " + ints({d[0], d[1]}) +
          ", pads = " + ints({pb[0], pb[1], pe[0], pe[1]}) +
          ", groups = " + std::to_string(depthwise ? in.channels : 1) +
          "} : (" + type(in) + ", tensor<" + std::to_string(m) + "x" +
          std::to_string(depthwise ? 1 : in.channels) + "x" +
          std::to_string(k[0]) + "x" + std::to_string(k[1]) + "xf32>" +
          (b.empty() ? "" : ", tensor<" + std::to_string(m) + "xf32>") +
          ") -> " + type(result) + "\n";
  define(y, m, out);
  return true;
}

bool RandomNet::pool(const Val &in) {
  int64_t k[2], s[2], pb[2], pe[2];
  bool ceil = chance(0.5);
  std::array<int64_t, 2> out;
  for (int a = 0; a < 2; ++a) {
    k[a] = pick(2, 3);
    s[a] = pick(1, 2);
    pb[a] = pick(0, k[a] / 2);
    pe[a] = pick(0, k[a] / 2);
    out[a] = windowOutputSize(in.size[a], {k[a], s[a], 1, pb[a], pe[a]}, ceil);
    if (out[a] < 1)
      return false;
  }
  bool avg = chance(0.5);
  std::string y = fresh();
  body += "  " + y + (avg ? " = sstep.avg_pool2d " : " = sstep.max_pool2d ") +
          in.name + " {kernel = " + ints({k[0], k[1]}) +
          ", strides = " + ints({s[0], s[1]}) +
          ", pads = " + ints({pb[0], pb[1], pe[0], pe[1]}) +
          ", ceil_mode = " + (ceil ? "true" : "false") +
          (avg ? std::string(", count_include_pad = ") +
                     (chance(0.5) ? "true" : "false")
               : "") +
          "} : " + type(in) + " -> " + type(in) + "\n";
  define(y, in.channels, out);
  return true;
}

bool RandomNet::convTranspose(const Val &in) {
  int64_t k[2], s[2], d[2], pb[2], pe[2], op[2];
  std::array<int64_t, 2> out;
  for (int a = 0; a < 2; ++a) {
    k[a] = pick(1, 4);
    s[a] = pick(1, 3);
    d[a] = k[a] > 1 ? pick(1, 2) : 1;
    pb[a] = pick(0, d[a] * (k[a] - 1));
    pe[a] = pick(0, d[a] * (k[a] - 1));
    op[a] = pick(0, std::max(s[a], d[a]) - 1);
    out[a] = transposedOutputSize(in.size[a], {k[a], s[a], d[a], pb[a], pe[a]},
                                  op[a]);
    if (out[a] < 1 || out[a] > 100)
      return false;
  }
  int64_t m = pick(1, 4);
  std::string w = constant({in.channels, m, k[0], k[1]});
  std::string y = fresh();
  Val result{y, m, out};
  body += "  " + y + " = sstep.conv_transpose2d " + in.name + ", " + w +
          " {strides = " + ints({s[0], s[1]}) +
          ", dilations = " + ints({d[0], d[1]}) +
          ", pads = " + ints({pb[0], pb[1], pe[0], pe[1]}) +
          ", output_padding = " + ints({op[0], op[1]}) + "} : (" + type(in) +
          ", tensor<" + std::to_string(in.channels) + "x" + std::to_string(m) +
          "x" + std::to_string(k[0]) + "x" + std::to_string(k[1]) +
          "xf32>) -> " + type(result) + "\n";
  define(y, m, out);
  return true;
}

bool RandomNet::resize(const Val &in) {
  static const double scales[] = {0.5, 0.75, 1.5, 2.0, 3.0};
  static const char *coords[] = {"half_pixel", "pytorch_half_pixel",
                                 "align_corners", "asymmetric",
                                 "tf_half_pixel_for_nn"};
  static const char *nearest[] = {"round_prefer_floor", "round_prefer_ceil",
                                  "floor", "ceil"};
  double scale[2];
  std::array<int64_t, 2> out;
  for (int a = 0; a < 2; ++a) {
    scale[a] = scales[pick(0, 4)];
    out[a] = int64_t(double(in.size[a]) * scale[a]);
    if (out[a] < 1 || out[a] > 100)
      return false;
  }
  bool linear = chance(0.5);
  char text[64];
  std::snprintf(text, sizeof text, "array<f64: %.2f, %.2f>", scale[0],
                scale[1]);
  std::string y = fresh();
  body += "  " + y + " = sstep.resize2d " + in.name + " {mode = \"" +
          (linear ? "linear" : "nearest") + "\", coordinate_mode = \"" +
          coords[pick(0, 4)] + "\", nearest_mode = \"" + nearest[pick(0, 3)] +
          "\", scales = " + text + "} : (" + type(in) + ") -> " + type(in) +
          "\n";
  define(y, in.channels, out);
  return true;
}

bool RandomNet::pad(const Val &in) {
  static const char *modes[] = {"constant", "edge", "reflect"};
  std::string mode = modes[pick(0, 2)];
  int64_t pads[4];
  std::array<int64_t, 2> out;
  for (int a = 0; a < 2; ++a) {
    int64_t most = mode == "reflect" ? std::min<int64_t>(2, in.size[a] - 1) : 2;
    pads[a] = pick(-1, most);
    pads[2 + a] = pick(-1, most);
    out[a] = in.size[a] + pads[a] + pads[2 + a];
    if (out[a] < 1)
      return false;
  }
  std::string y = fresh();
  body += "  " + y + " = sstep.pad2d " + in.name + " {mode = \"" + mode +
          "\", pads = " + ints({pads[0], pads[1], pads[2], pads[3]}) +
          (chance(0.5) ? ", value = 5.000000e-01 : f32" : "") +
          "} : " + type(in) + " -> " + type(in) + "\n";
  define(y, in.channels, out);
  return true;
}

bool RandomNet::pointwise(const Val &in) {
  std::string y = fresh();
  body += "  " + y + (chance(0.5) ? " = sstep.relu " : " = sstep.sigmoid ") +
          in.name + " : " + type(in) + "\n";
  define(y, in.channels, in.size);
  return true;
}

bool RandomNet::merge(const Val &in) {
  std::vector<Val> partners;
  for (const Val &v : values)
    if (v.size == in.size && v.name != in.name)
      partners.push_back(v);
  if (partners.empty())
    return false;
  Val other = partners[pick(0, int64_t(partners.size()) - 1)];
  std::string y = fresh();
  if (other.channels == in.channels && chance(0.5)) {
    body += "  " + y + " = sstep.add " + in.name + ", " + other.name + " : (" +
            type(in) + ", " + type(other) + ") -> " + type(in) + "\n";
    define(y, in.channels, in.size);
    return true;
  }
  Val result{y, in.channels + other.channels, in.size};
  body += "  " + y + " = sstep.concat " + in.name + ", " + other.name +
          " {axis = 1 : i64} : (" + type(in) + ", " + type(other) + ") -> " +
          type(result) + "\n";
  define(y, result.channels, in.size);
  return true;
}

bool RandomNet::squeezeExcite(const Val &in) {
  std::string c = std::to_string(in.channels);
  std::string small = "tensor<1x" + c + "x1x1xf32>";
  std::string g = fresh();
  bool mean = chance(0.5);
  // A staged trainable net's maxima are adaptive_max_pool2d's or amax's.
  std::string ties = !mean && staged && chance(0.5) ? " {split_ties}" : "";
  body +=
      "  " + g +
      (mean ? " = sstep.global_avg_pool2d " : " = sstep.global_max_pool2d ") +
      in.name + ties + " : " + type(in) + " -> " + small + "\n";
  if (chance(0.5)) {
    std::string w = constant({in.channels, in.channels, 1, 1});
    std::string h = fresh();
    body += "  " + h + " = sstep.conv2d " + g + ", " + w + " : (" + small +
            ", tensor<" + c + "x" + c + "x1x1xf32>) -> " + small + "\n";
    g = h;
  }
  std::string s = fresh();
  body += "  " + s + " = sstep.sigmoid " + g + " : " + small + "\n";
  std::string y = fresh();
  body += "  " + y + " = sstep.mul " + in.name + ", " + s + " : (" + type(in) +
          ", " + small + ") -> " + type(in) + "\n";
  define(y, in.channels, in.size);
  return true;
}

bool RandomNet::instanceNorm(const Val &in) {
  std::string scale = constant({in.channels});
  std::string bias = constant({in.channels});
  std::string c = "tensor<" + std::to_string(in.channels) + "xf32>";
  // Every other norm is a GroupNorm, of the most groups short of one per
  // channel (chosen without the generator, so the networks other tests
  // draw stay the ones they were written for).
  std::string groups;
  for (int64_t g = in.channels - 1; g >= 1 && counter % 2 == 1; --g)
    if (in.channels % g == 0) {
      groups = " {groups = " + std::to_string(g) + " : i64}";
      break;
    }
  std::string y = fresh();
  body += "  " + y + " = sstep.instance_norm " + in.name + ", " + scale + ", " +
          bias + groups + " : (" + type(in) + ", " + c + ", " + c + ") -> " +
          type(in) + "\n";
  define(y, in.channels, in.size);
  return true;
}

bool RandomNet::channelMove(const Val &in) {
  const int64_t c = in.channels;
  std::string y = fresh();
  if (c >= 2 && chance(0.5)) {
    std::vector<int64_t> groups;
    for (int64_t g = 2; g <= c; ++g)
      if (c % g == 0)
        groups.push_back(g);
    int64_t g = groups[size_t(pick(0, int64_t(groups.size()) - 1))];
    body += "  " + y + " = sstep.channel_shuffle " + in.name +
            " {groups = " + std::to_string(g) + " : i64} : " + type(in) + "\n";
    define(y, c, in.size);
    return true;
  }
  if (!trainable && chance(0.25)) { // CBAM's x.mean(1, keepdim=True) and kin
    const char *kinds[] = {"mean", "max", "min", "sum"};
    Val result{y, 1, in.size};
    body += "  " + y + " = sstep.reduce " + in.name + " {axes = " + ints({1}) +
            ", keepdims = true, kind = \"" + kinds[pick(0, 3)] +
            "\"} : " + type(in) + " -> " + type(result) + "\n";
    define(y, 1, in.size);
    return true;
  }
  // A channel range, forwards or backwards (x.chunk, x[:, ::-1]).
  int64_t step = chance(0.7) ? pick(1, 2) : -pick(1, 2);
  int64_t start = pick(0, c - 1), end, count;
  if (step > 0) {
    end = pick(start + 1, c);
    count = (end - start + step - 1) / step;
  } else {
    end = pick(-1, start - 1);
    count = (start - end - step - 1) / -step;
    end = end < 0 ? -c - 1 : end; // -1 would mean the last channel
  }
  Val result{y, count, in.size};
  body += "  " + y + " = sstep.slice " + in.name + " {axes = " + ints({1}) +
          ", ends = " + ints({end}) + ", starts = " + ints({start}) +
          ", steps = " + ints({step}) + "} : " + type(in) + " -> " +
          type(result) + "\n";
  define(y, count, in.size);
  return true;
}

std::string RandomNet::build(int ops) {
  for (int added = 0; added < ops;) {
    Val in = anyValue();
    bool ok = false;
    int kind = int(pick(0, 12));
    if (staged && chance(0.3))
      kind = chance(0.5) ? 10 : 11;
    else if (trainable && (kind == 10 || kind == 11))
      continue; // drawn only on purpose
    switch (kind) {
    case 0:
    case 1:
    case 2:
      ok = conv(in);
      break;
    case 3:
      ok = pool(in);
      break;
    case 4:
      ok = convTranspose(in);
      break;
    case 5:
      ok = resize(in);
      break;
    case 6:
      ok = pad(in);
      break;
    case 7:
      ok = pointwise(in);
      break;
    case 8:
    case 9:
      ok = merge(in);
      break;
    case 10:
      ok = squeezeExcite(in);
      break;
    case 11:
      ok = (staged || chance(0.3)) && instanceNorm(in);
      break;
    case 12:
      ok = channelMove(in);
      break;
    }
    added += ok;
  }
  std::vector<Val> outs{values.back()};
  if (!trainable && values.size() > 2 && chance(0.4))
    outs.push_back(values[pick(1, int64_t(values.size()) - 2)]);
  std::string results, names, types;
  for (size_t i = 0; i < outs.size(); ++i) {
    names += (i ? ", " : "") + outs[i].name;
    types += (i ? ", " : "") + type(outs[i]);
  }
  return "func.func @main(%x: " + type(values[0]) + ") -> (" + types + ") {\n" +
         body + "  return " + names + " : " + types + "\n}\n";
}

RandomCase randomTrainableCase(std::mt19937 &rng, uint32_t seed) {
  RandomCase c;
  c.image = {std::uniform_int_distribution<int64_t>(5, 36)(rng),
             std::uniform_int_distribution<int64_t>(5, 36)(rng)};
  c.channels = std::uniform_int_distribution<int64_t>(1, 3)(rng);
  RandomNet net(seed, c.image, c.channels, /*trainable=*/true);
  c.text = net.build(std::uniform_int_distribution<int>(2, 8)(rng));
  return c;
}

RandomCase randomStagedTrainableCase(std::mt19937 &rng, uint32_t seed) {
  RandomCase c;
  c.image = {std::uniform_int_distribution<int64_t>(5, 36)(rng),
             std::uniform_int_distribution<int64_t>(5, 36)(rng)};
  c.channels = std::uniform_int_distribution<int64_t>(1, 3)(rng);
  RandomNet net(seed, c.image, c.channels, /*trainable=*/true,
                /*staged=*/true);
  c.text = net.build(std::uniform_int_distribution<int>(3, 8)(rng));
  return c;
}

RandomCase randomCase(std::mt19937 &rng, uint32_t seed, const CaseRanges &r) {
  RandomCase c;
  c.image = {std::uniform_int_distribution<int64_t>(r.minSide, r.maxSide)(rng),
             std::uniform_int_distribution<int64_t>(r.minSide, r.maxSide)(rng)};
  c.channels = std::uniform_int_distribution<int64_t>(1, r.maxChannels)(rng);
  RandomNet net(seed, c.image, c.channels);
  c.text =
      net.build(std::uniform_int_distribution<int>(r.minOps, r.maxOps)(rng));
  return c;
}

RandomCase randomCase(std::mt19937 &rng, uint32_t seed, int64_t maxChannels) {
  CaseRanges ranges;
  ranges.maxChannels = maxChannels;
  return randomCase(rng, seed, ranges);
}

} // namespace sstep::test
