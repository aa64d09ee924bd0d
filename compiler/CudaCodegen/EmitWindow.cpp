//===- EmitWindow.cpp - CUDA C++ for windows, concat and channel moves ----===//
//
// Each output element maps to input image coordinates exactly as the
// reference kernels (runtime/reference) map them, borders included, so a
// tile at the image's edge computes what the whole image computes there.
//
//===----------------------------------------------------------------------===//

#include "compiler/CudaCodegen/EmitUtil.h"
#include "runtime/core/RuntimeError.h"
#include "runtime/reference/Kernels.h"

#include <cstdio>

namespace sstep::cuda {
namespace {

void emitPool(std::ostringstream &os, const Node &node, const Shape &shape) {
  const auto &kernel = node.getInts("kernel");
  WindowAxis y = reference::windowAxisOf(node, kernel[0], 0);
  WindowAxis x = reference::windowAxisOf(node, kernel[1], 1);
  bool max = node.op == "max_pool2d";
  bool countPad = !max && node.getInt("count_include_pad") != 0;
  std::string load = loadImage(0, shape, "iy", "ix");
  os << "    const int H = (int)a.in[0].imageH, W = (int)a.in[0].imageW;\n"
     << (max ? "    float best = __int_as_float(0xff800000);\n"
             : "    float sum = 0.0f;\n    int count = 0;\n")
     << "    for (int ky = 0; ky < " << y.kernel << "; ++ky) {\n"
     << "      int iy = Y * " << y.stride << " - " << y.padBegin << " + ky * "
     << y.dilation << ";\n"
     << "      bool yIn = iy >= 0 && iy < H;\n"
     << "      bool yPad = iy >= -" << y.padBegin << " && iy < H + " << y.padEnd
     << ";\n"
     << "      for (int kx = 0; kx < " << x.kernel << "; ++kx) {\n"
     << "        int ix = X * " << x.stride << " - " << x.padBegin << " + kx * "
     << x.dilation << ";\n"
     << "        bool xIn = ix >= 0 && ix < W;\n"
     << "        bool xPad = ix >= -" << x.padBegin << " && ix < W + "
     << x.padEnd << ";\n"
     << "        (void)yPad; (void)xPad;\n"
     << "        if (yIn && xIn) {\n"
     << "          float v = " << load << ";\n"
     << (max ? "          if (v > best || isnan(v))\n"
               "            best = isnan(best) ? best : v;\n"
             : "          sum += v;\n")
     << "        }\n";
  if (!max)
    os << "        if (" << (countPad ? "yPad && xPad" : "yIn && xIn")
       << ")\n          ++count;\n";
  os << "      }\n    }\n";
  closeKernel(os, max ? "best"
                      : "(count ? sum / (float)count : "
                        "__int_as_float(0x7fc00000))");
}

const char *padModeOf(const Node &node) {
  const std::string &mode = node.getString("mode");
  if (mode == "edge")
    return "1";
  if (mode == "reflect")
    return "2";
  if (mode == "constant")
    return "0";
  throw RuntimeError(node.describe() + ": no CUDA rule for pad mode '" + mode +
                     "'");
}

void emitPad(std::ostringstream &os, const Node &node, const Shape &shape) {
  const auto &pads = node.getInts("pads");
  const char *mode = padModeOf(node);
  os << "    int iy = sstep_pad_source(Y - " << pads[0]
     << ", (int)a.in[0].imageH, " << mode << ");\n"
     << "    int ix = sstep_pad_source(X - " << pads[1]
     << ", (int)a.in[0].imageW, " << mode << ");\n";
  closeKernel(os, "(iy < 0 || ix < 0 ? " + literal(node.getFloat("value")) +
                      " : " + loadImage(0, shape, "iy", "ix") + ")");
}

int coordinateModeOf(const Node &node, const std::string &mode) {
  const char *modes[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
                         "asymmetric", "tf_half_pixel_for_nn"};
  for (int i = 0; i < 5; ++i)
    if (mode == modes[i])
      return i;
  throw RuntimeError(node.describe() + ": no CUDA rule for coordinate mode '" +
                     mode + "'");
}

/// The scale in full double precision, as the reference uses it.
std::string scaleLiteral(double scale) {
  char text[40];
  std::snprintf(text, sizeof(text), "%.17g", scale > 0 ? scale : 0.0);
  std::string s = text;
  return s.find_first_of(".e") == std::string::npos ? s + ".0" : s;
}

int nearestModeOf(const std::string &mode) {
  if (mode == "floor")
    return 0;
  if (mode == "ceil")
    return 1;
  return mode == "round_prefer_ceil" ? 2 : 3;
}

void emitResize(std::ostringstream &os, const Node &node, const Shape &shape) {
  const AxisRule *axes = node.window->axes.data();
  std::string taps[2];
  const char *names[2] = {"y", "x"};
  const char *sizes[2][2] = {{"a.in[0].imageH", "a.out.imageH"},
                             {"a.in[0].imageW", "a.out.imageW"}};
  const char *coords[2] = {"Y", "X"};
  for (int i = 0; i < 2; ++i) {
    const AxisRule &rule = axes[i];
    os << "    SStepTap " << names[i] << " = sstep_resize_tap(" << coords[i]
       << ", " << sizes[i][0] << ", " << sizes[i][1] << ", "
       << scaleLiteral(rule.scale) << ", "
       << coordinateModeOf(node, rule.coordinateMode) << ", "
       << (rule.linear ? 1 : 0) << ", " << nearestModeOf(rule.nearestMode)
       << ");\n";
  }
  auto at = [&](const char *row, const char *col) {
    return loadImage(0, shape, row, col);
  };
  os << "    float top = " << at("y.lo", "x.lo") << " * (1.0f - x.frac) + "
     << at("y.lo", "x.hi") << " * x.frac;\n"
     << "    float bottom = " << at("y.hi", "x.lo") << " * (1.0f - x.frac) + "
     << at("y.hi", "x.hi") << " * x.frac;\n";
  closeKernel(os, "top * (1.0f - y.frac) + bottom * y.frac");
}

void emitConcat(std::ostringstream &os, const Node &node,
                const Program &program) {
  int64_t offset = 0;
  std::string value = "0.0f";
  std::string chain;
  for (size_t k = 0; k < node.operands.size(); ++k) {
    const Shape &shape = program.values[node.operands[k]].shape;
    if (shape.size() != 4 || shape[1] < 1)
      throw RuntimeError(node.describe() + ": no CUDA rule for operand " +
                         formatShape(shape));
    std::string load = loadImage(int(k), {shape[0], 2, 1, 1});
    // loadImage indexes channel c; shift it to the operand's own channels.
    std::string shifted = load.replace(load.find(", c,"), 4,
                                       ", c - " + std::to_string(offset) + ",");
    offset += shape[1];
    chain += "c < " + std::to_string(offset) + " ? " + shifted + " : ";
  }
  closeKernel(os, "(" + chain + "0.0f)");
}

/// channel_shuffle and a slice of channels: output channel c reads one input
/// channel at the same pixel.
void emitChannelMove(std::ostringstream &os, const Node &node,
                     const Shape &shape) {
  const int64_t channels = shape[1];
  std::string from;
  if (node.op == "channel_shuffle") {
    int64_t groups = node.getInt("groups"), per = channels / groups;
    from = "(c % " + std::to_string(groups) + ") * " + std::to_string(per) +
           " + c / " + std::to_string(groups);
  } else {
    int64_t step = node.getInts("steps")[0];
    shape::SliceRange r = shape::sliceRange(channels, node.getInts("starts")[0],
                                            node.getInts("ends")[0], step);
    from = std::to_string(r.first) + " + c * (" + std::to_string(step) + ")";
  }
  std::string load = loadImage(0, shape);
  // loadImage indexes channel c (or 0 for one channel, which maps to itself).
  size_t at = load.find(", c,");
  if (at != std::string::npos)
    load.replace(at, 4, ", " + from + ",");
  closeKernel(os, load);
}

/// A reduction over the channels of each pixel (one output channel).
void emitChannelReduce(std::ostringstream &os, const Node &node,
                       const Shape &shape) {
  const std::string &kind = node.getString("kind");
  std::string load = loadImage(0, {shape[0], 2, 1, 1});
  load.replace(load.find(", c,"), 4, ", k,");
  const std::string channels = std::to_string(shape[1]);
  if (kind == "mean" || kind == "sum") {
    os << "    float acc = 0.0f;\n    for (int k = 0; k < " << channels
       << "; ++k)\n      acc += " << load << ";\n";
    closeKernel(os, kind == "mean" ? "acc / " + channels + ".0f" : "acc");
    return;
  }
  // NaN wins, as in the reference.
  const char *pick = kind == "max" ? "v > acc" : "v < acc";
  os << "    int k = 0;\n    float acc = " << load << ";\n"
     << "    for (k = 1; k < " << channels << "; ++k) {\n"
     << "      float v = " << load << ";\n"
     << "      if (isnan(v) || (!isnan(acc) && " << pick << "))\n"
     << "        acc = v;\n    }\n";
  closeKernel(os, "acc");
}

} // namespace

void emitWindowKernel(std::ostringstream &os, const GeneratedKernel &kernel,
                      const Program &program) {
  const Node &node = program.nodes[kernel.nodes[0]];
  const Shape &shape = program.values[node.operands[0]].shape;
  openKernel(os, kernel, program);
  if (node.op == "max_pool2d" || node.op == "avg_pool2d")
    emitPool(os, node, shape);
  else if (node.op == "pad2d")
    emitPad(os, node, shape);
  else if (node.op == "resize2d")
    emitResize(os, node, shape);
  else if (node.op == "concat")
    emitConcat(os, node, program);
  else if (node.op == "channel_shuffle" || node.op == "slice")
    emitChannelMove(os, node, shape);
  else if (node.op == "reduce")
    emitChannelReduce(os, node, shape);
  else
    throw RuntimeError(node.describe() + ": no CUDA rule for this op");
}

} // namespace sstep::cuda
