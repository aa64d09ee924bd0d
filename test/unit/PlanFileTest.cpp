//===- PlanFileTest.cpp - Plan files: round trip and damage ---------------===//

#include <catch2/catch.hpp>

#include "runtime/core/ByteIO.h"
#include "runtime/core/PlanFile.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sys/stat.h>

using namespace sstep;

namespace {

std::string scratch(const std::string &name) {
  std::string dir = SSTEP_TEST_WORK_DIR;
  ::mkdir(dir.c_str(), 0755);
  return dir + "/" + name;
}

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

/// Bit for bit, so NaN and -0.0 must survive too.
bool sameBits(double a, double b) { return std::memcmp(&a, &b, 8) == 0; }

/// Every attribute kind, every window rule field away from its default, every
/// role, a multi-result node, constants of rank 0, 1, 4 and an empty one, an
/// input that is also an output, an output without a name of its own.
Program sampleProgram() {
  Program p;
  int x = p.addValue("image", {1, 3, -1, -1});
  int w = p.addValue("conv.weight", {4, 3, 3, 3});
  int b = p.addValue("conv.bias", {4});
  int s = p.addValue("scale", {});
  int e = p.addValue("empty", {0, 2});
  int c = p.addValue("conv", {1, 4, -1, -1});
  int r0 = p.addValue("split:0", {1, 2, -1, -1});
  int r1 = p.addValue("split:1", {1, 2, -1, -1});
  int g = p.addValue("pool", {1, 2, 1, 1});
  p.inputs = {x};
  p.outputs = {g, x, r1};
  p.outputNames = {"pooled", "", "second"};

  sstep::FloatBuffer weights(4 * 3 * 3 * 3);
  for (size_t i = 0; i < weights.size(); ++i)
    weights[i] = 1234.5f + float(i) * 0.25f;
  p.constants.set(w, Tensor({4, 3, 3, 3}, weights));
  p.constants.set(b, Tensor({4}, {-1.0f, 0.0f, -0.0f, 1e-38f}));
  p.constants.set(
      s, Tensor(Shape{},
                sstep::FloatBuffer{std::numeric_limits<float>::infinity()}));
  p.constants.set(e, Tensor({0, 2}));

  Node conv;
  conv.op = "conv2d";
  conv.name = "conv1";
  conv.operands = {x, w, b};
  conv.results = {c};
  conv.attrs["group"] = int64_t(-7);
  conv.attrs["alpha"] = std::numeric_limits<double>::quiet_NaN();
  conv.attrs["neg_zero"] = -0.0;
  conv.attrs["mode"] = std::string("half_pixel");
  conv.attrs["empty_string"] = std::string();
  conv.attrs["strides"] = std::vector<int64_t>{2, 3, INT64_MIN, INT64_MAX};
  conv.attrs["no_ints"] = std::vector<int64_t>{};
  conv.attrs["scales"] =
      std::vector<double>{0.5, -std::numeric_limits<double>::infinity()};
  conv.attrs["no_floats"] = std::vector<double>{};
  Window window;
  window.spatial = {true, false, false};
  window.axes[0].kind = AxisRule::Kind::Window;
  window.axes[0].border = BorderRule::NegInfinity;
  window.axes[0].window = {3, 2, 2, 1, 4};
  window.axes[0].ceilMode = true;
  window.axes[0].outputPadding = 5;
  window.axes[1].kind = AxisRule::Kind::Resize;
  window.axes[1].border = BorderRule::Constant;
  window.axes[1].linear = true;
  window.axes[1].coordinateMode = "align_corners";
  window.axes[1].nearestMode = "ceil";
  window.axes[1].scale = 2.5;
  window.axes[1].fixedSize = 17;
  window.axes[1].likeNum = 3;
  window.axes[1].likeDen = 4;
  conv.window = window;
  conv.role = Role::Tile;
  conv.stage = 2;
  conv.vjp = VjpRule{{true, true, false}, {true, false, true}, true};
  p.nodes.push_back(conv);
  p.notDifferentiable = "node 'split' (sstep.split) needs the whole image";

  Node split;
  split.op = "split";
  split.operands = {c, s};
  split.results = {r0, r1};
  split.role = Role::Whole;
  split.stage = 3;
  p.nodes.push_back(split);

  Node pool;
  pool.op = "global_avg_pool2d";
  pool.name = "gap";
  pool.operands = {r0};
  pool.results = {g};
  pool.role = Role::Reduce;
  pool.reduction = "mean";
  p.nodes.push_back(pool);
  for (Role role : {Role::Global, Role::None}) {
    Node n = pool;
    n.role = role;
    n.reduction.clear();
    n.results = {p.addValue("extra", {1, 2, 1, 1})};
    p.nodes.push_back(n);
  }
  return p;
}

PlanInfo sampleInfo() {
  return {"sstep-compile test",  "dir/model.onnx", std::string(64, 'a'),
          "reference",           int64_t(3) << 40, "auto",
          "2024-01-02T03:04:05Z"};
}

void requireSameRule(const AxisRule &a, const AxisRule &b) {
  CHECK(a.kind == b.kind);
  CHECK(a.border == b.border);
  CHECK(a.window.kernel == b.window.kernel);
  CHECK(a.window.stride == b.window.stride);
  CHECK(a.window.dilation == b.window.dilation);
  CHECK(a.window.padBegin == b.window.padBegin);
  CHECK(a.window.padEnd == b.window.padEnd);
  CHECK(a.ceilMode == b.ceilMode);
  CHECK(a.outputPadding == b.outputPadding);
  CHECK(a.linear == b.linear);
  CHECK(a.coordinateMode == b.coordinateMode);
  CHECK(a.nearestMode == b.nearestMode);
  CHECK(sameBits(a.scale, b.scale));
  CHECK(a.fixedSize == b.fixedSize);
  CHECK(a.likeNum == b.likeNum);
  CHECK(a.likeDen == b.likeDen);
}

void requireSameAttribute(const Attribute &a, const Attribute &b) {
  REQUIRE(a.index() == b.index());
  if (auto *d = std::get_if<double>(&a)) {
    CHECK(sameBits(*d, std::get<double>(b)));
  } else if (auto *ds = std::get_if<std::vector<double>>(&a)) {
    const auto &other = std::get<std::vector<double>>(b);
    REQUIRE(ds->size() == other.size());
    for (size_t i = 0; i < ds->size(); ++i)
      CHECK(sameBits((*ds)[i], other[i]));
  } else {
    CHECK(a == b);
  }
}

void requireSameProgram(const Program &a, const Program &b) {
  REQUIRE(a.values.size() == b.values.size());
  for (size_t i = 0; i < a.values.size(); ++i) {
    CHECK(a.values[i].name == b.values[i].name);
    CHECK(a.values[i].shape == b.values[i].shape);
  }
  CHECK(a.inputs == b.inputs);
  CHECK(a.outputs == b.outputs);
  CHECK(a.outputNames == b.outputNames);
  REQUIRE(a.constants.size() == b.constants.size());
  for (const auto &[id, shape] : a.constants.shapes()) {
    REQUIRE(b.constants.contains(id));
    CHECK(b.constants.shape(id) == shape);
    CHECK(b.constants.crc(id) == a.constants.crc(id));
    const Tensor &tensor = a.constants.get(id);
    const Tensor &other = b.constants.get(id);
    CHECK(tensor.shape == other.shape);
    REQUIRE(tensor.data.size() == other.data.size());
    // Bitwise (NaNs included); memcmp's pointers must not be null even
    // for no bytes (an empty constant).
    if (!tensor.data.empty())
      CHECK(std::memcmp(tensor.data.data(), other.data.data(),
                        tensor.data.size() * sizeof(float)) == 0);
  }
  REQUIRE(a.nodes.size() == b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const Node &n = a.nodes[i], &m = b.nodes[i];
    CHECK(n.op == m.op);
    CHECK(n.name == m.name);
    CHECK(n.operands == m.operands);
    CHECK(n.results == m.results);
    REQUIRE(n.attrs.size() == m.attrs.size());
    for (const auto &[key, value] : n.attrs) {
      REQUIRE(m.attrs.count(key));
      requireSameAttribute(value, m.attrs.at(key));
    }
    REQUIRE(n.window.has_value() == m.window.has_value());
    if (n.window) {
      CHECK(n.window->spatial == m.window->spatial);
      requireSameRule(n.window->axes[0], m.window->axes[0]);
      requireSameRule(n.window->axes[1], m.window->axes[1]);
    }
    CHECK(n.role == m.role);
    CHECK(n.stage == m.stage);
    CHECK(n.reduction == m.reduction);
    REQUIRE(n.vjp.has_value() == m.vjp.has_value());
    if (n.vjp) {
      CHECK(n.vjp->grads == m.vjp->grads);
      CHECK(n.vjp->reads == m.vjp->reads);
      CHECK(n.vjp->readsResult == m.vjp->readsResult);
    }
  }
  CHECK(a.differentiable == b.differentiable);
  CHECK(a.notDifferentiable == b.notDifferentiable);
}

/// A written sample plan's path and bytes.
std::pair<std::string, std::string> samplePlan(const std::string &name) {
  std::string path = scratch(name);
  writePlan(path, sampleProgram(), sampleInfo());
  return {path, slurp(path)};
}

} // namespace

TEST_CASE("CRC-32 is the zlib/PNG one", "[plan]") {
  CHECK(crc32Update(0, "123456789", 9) == 0xCBF43926u);
  CHECK(crc32Update(crc32Update(0, "1234", 4), "56789", 5) == 0xCBF43926u);
  // An empty tensor's data() is null; it must not restart the checksum.
  CHECK(crc32Update(0xCBF43926u, nullptr, 0) == 0xCBF43926u);
}

TEST_CASE("A plan reads back as the Program written", "[plan]") {
  Program program = sampleProgram();
  std::string path = scratch("round-trip.sstep");
  writePlan(path, program, sampleInfo());
  CHECK(isPlanFile(path));
  CHECK_FALSE(std::ifstream(path + ".part").good());
  PlanInfo info;
  Program back = readPlan(path, &info);
  requireSameProgram(program, back);
  PlanInfo want = sampleInfo();
  CHECK(info.producer == want.producer);
  CHECK(info.source == want.source);
  CHECK(info.sourceSha256 == want.sourceSha256);
  CHECK(info.target == want.target);
  CHECK(info.memoryBudget == want.memoryBudget);
  CHECK(info.tile == want.tile);
  CHECK(info.created == want.created);

  // Weights are stored raw, at a 64-byte boundary of the file.
  std::string bytes = slurp(path);
  const auto &weights =
      program.constants.get(program.constants.shapes().begin()->first).data;
  std::string raw(reinterpret_cast<const char *>(weights.data()),
                  weights.size() * sizeof(float));
  size_t at = bytes.find(raw);
  REQUIRE(at != std::string::npos);
  CHECK(at % plan_layout::kAlign == 0);
  CHECK(bytes.size() % plan_layout::kAlign == 0);

  // An empty program round-trips too.
  writePlan(path, Program(), PlanInfo());
  requireSameProgram(Program(), readPlan(path));
}

TEST_CASE("A plan's weights stay in the file until read, checked", "[plan]") {
  Program program = sampleProgram();
  int w = program.constants.shapes().begin()->first;
  const Tensor &want = program.constants.get(w);
  auto [path, bytes] = samplePlan("lazy.sstep");
  Program loaded = readPlan(path);
  CHECK(loaded.constants.crc(w) == program.constants.crc(w));
  CHECK(loaded.constants.bytes() == program.constants.bytes());

  SECTION("read() gives the data without keeping it") {
    std::shared_ptr<const Tensor> once = loaded.constants.read(w);
    CHECK(once->data == want.data);
    CHECK(loaded.constants.read(w) != once);
    CHECK(&loaded.constants.get(w) == &loaded.constants.get(w));
    CHECK(loaded.constants.read(w).get() == &loaded.constants.get(w));
  }
  SECTION("a plan replaced by a new one is still read as loaded") {
    Program other = sampleProgram();
    Tensor changed = other.constants.get(w);
    changed.data[0] = -1.0f;
    other.constants.set(w, std::move(changed));
    writePlan(path, other, PlanInfo());
    CHECK(loaded.constants.get(w).data == want.data);
  }
  SECTION("a plan rewritten in place is refused by name") {
    size_t at = bytes.find(std::string(
        reinterpret_cast<const char *>(want.data.data()), sizeof(float) * 4));
    REQUIRE(at != std::string::npos);
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(std::streamoff(at));
    file.put(static_cast<char>(bytes[at] ^ 0x01));
    file.close();
    CHECK_THROWS_WITH(loaded.constants.get(w),
                      Catch::Contains("lazy.sstep: the weights of constant " +
                                      std::to_string(w) +
                                      " changed on disk since the plan was "
                                      "loaded"));
  }
}

TEST_CASE("Generated kernels travel in the plan's KERN section", "[plan]") {
  Program program = sampleProgram();
  program.kernels.target = "cuda";
  program.kernels.precision = "bf16";
  program.kernels.architectures = "sm_80,sm_90";
  program.kernels.image = std::string("\x50\xed\x55\xba\0fatbin", 11);
  program.kernels.kernels = {{"sstep_k0", "epilogue", {0}, {1}},
                             {"sstep_k1", "window", {0}, {0, 1}}};
  std::string path = scratch("kernels.sstep");
  writePlan(path, program, sampleInfo());
  KernelModule back = readPlan(path).kernels;
  CHECK(back.target == "cuda");
  CHECK(back.precision == "bf16");
  CHECK(back.architectures == "sm_80,sm_90");
  CHECK(back.image == program.kernels.image);
  REQUIRE(back.kernels.size() == 2);
  CHECK(back.kernels[1].symbol == "sstep_k1");
  CHECK(back.kernels[1].kind == "window");
  CHECK(back.kernels[1].nodes == std::vector<int>{0});
  CHECK(back.kernels[1].inputs == std::vector<int>{0, 1});
  // A plan without generated code has no section and reads back empty.
  writePlan(path, sampleProgram(), sampleInfo());
  CHECK(slurp(path).find("KERN") == std::string::npos);
  CHECK(readPlan(path).kernels.empty());

  // A kernel naming a node the plan does not have is refused.
  program.kernels.kernels[1].nodes = {99};
  writePlan(path, program, sampleInfo());
  CHECK_THROWS_WITH(readPlan(path),
                    Catch::Contains("kernel 'sstep_k1' names node 99"));
}

TEST_CASE("Gradient rules travel in the plan's GRAD section", "[plan]") {
  Program program = sampleProgram();
  program.differentiable = true;
  program.notDifferentiable.clear();
  std::string path = scratch("gradients.sstep");
  writePlan(path, program, sampleInfo());
  Program back = readPlan(path);
  CHECK(back.differentiable);
  REQUIRE(back.nodes[0].vjp.has_value());
  CHECK(back.nodes[0].vjp->grads == std::vector<bool>{true, true, false});
  CHECK(back.nodes[0].vjp->reads == std::vector<bool>{true, false, true});
  CHECK(back.nodes[0].vjp->readsResult);
  CHECK_FALSE(back.nodes[1].vjp.has_value());

  // A rule whose operand count is not its node's is refused by name.
  program.nodes[0].vjp->grads.pop_back();
  program.nodes[0].vjp->reads.pop_back();
  writePlan(path, program, sampleInfo());
  CHECK_THROWS_WITH(readPlan(path),
                    Catch::Contains("node 'conv1' (sstep.conv2d): a gradient "
                                    "rule for 2 operands"));
}

TEST_CASE("A flipped byte anywhere is a checksum error", "[plan]") {
  auto [path, bytes] = samplePlan("corrupt.sstep");
  std::string damaged = scratch("damaged.sstep");
  // In the header's sizes, in the index (a value's name), in the weights,
  // and in the data section's padding.
  size_t name = bytes.find("conv.weight");
  size_t weight = bytes.rfind(std::string("\x00\x50\x9a\x44", 4));
  REQUIRE(name != std::string::npos);
  REQUIRE(weight != std::string::npos);
  for (size_t at : {size_t(20), size_t(40), name + 2, weight + 1,
                    bytes.size() - 1, bytes.size() / 2}) {
    INFO("byte " << at);
    std::string copy = bytes;
    copy[at] = static_cast<char>(copy[at] ^ 0x10);
    spit(damaged, copy);
    CHECK_THROWS_WITH(
        readPlan(damaged),
        Catch::Contains("damaged.sstep: checksum mismatch: the file is "
                        "corrupt or truncated"));
  }
}

TEST_CASE("A truncated plan is a clean error", "[plan]") {
  auto [path, bytes] = samplePlan("whole.sstep");
  std::string cut = scratch("cut.sstep");
  for (size_t size :
       {size_t(0), size_t(5), size_t(8), size_t(12), size_t(63), size_t(64),
        size_t(100), bytes.size() / 2, bytes.size() - 64, bytes.size() - 1}) {
    INFO("cut at " << size);
    spit(cut, bytes.substr(0, size));
    std::string expected = size < 8 ? "cut.sstep: not an SSTEP plan"
                                    : "cut.sstep: the file is corrupt or "
                                      "truncated";
    if (size >= 8 && size < 64)
      expected = "cut.sstep: checksum mismatch: the file is corrupt or "
                 "truncated";
    CHECK_THROWS_WITH(readPlan(cut), Catch::Contains(expected));
  }
  // So is a plan with bytes appended.
  spit(cut, bytes + "x");
  CHECK_THROWS_WITH(readPlan(cut), Catch::Contains("corrupt or truncated"));
}

TEST_CASE("Foreign files and other versions are refused by name", "[plan]") {
  auto [path, bytes] = samplePlan("versions.sstep");
  std::string other = scratch("other.sstep");
  std::string copy = bytes;
  copy[0] = 'X';
  spit(other, copy);
  CHECK_FALSE(isPlanFile(other));
  CHECK_THROWS_WITH(readPlan(other),
                    Catch::Contains("other.sstep: not an SSTEP plan"));

  copy = bytes;
  uint32_t future = kPlanFormatVersion + 1;
  std::memcpy(&copy[8], &future, 4);
  spit(other, copy);
  CHECK(isPlanFile(other));
  CHECK_THROWS_WITH(readPlan(other),
                    Catch::Contains("other.sstep: plan format version 2, but "
                                    "this build reads version 1"));

  CHECK_THROWS_WITH(readPlan(scratch("missing.sstep")),
                    Catch::Contains("missing.sstep: cannot open"));
  CHECK_FALSE(isPlanFile(scratch("missing.sstep")));
}

TEST_CASE("An unwritable plan path is an error naming it", "[plan]") {
  std::string path = scratch("no-such-dir/plan.sstep");
  CHECK_THROWS_WITH(writePlan(path, sampleProgram(), sampleInfo()),
                    Catch::Contains("no-such-dir/plan.sstep: cannot write"));
}
