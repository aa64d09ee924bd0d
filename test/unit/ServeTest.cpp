//===- ServeTest.cpp - sstep-serve's protocol, slide roots and metrics ----===//

#include "runtime/serve/InferProtocol.h"
#include "runtime/serve/Metrics.h"
#include "runtime/serve/SlideRoots.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>

using namespace sstep;
using namespace sstep::serve;
namespace fs = std::filesystem;

namespace {

const std::vector<TensorSpec> kInputs = {{"x", {1, 2, -1, -1}}};
const std::vector<std::string> kOutputs = {"y", "z"};

int statusOf(const std::string &body,
             std::optional<size_t> headerLength = std::nullopt) {
  try {
    parseInferRequest(body, headerLength, kInputs, kOutputs);
    return 200;
  } catch (const ProtocolError &e) {
    return e.status;
  }
}

std::string binaryBody(const std::vector<float> &values, size_t &headerLength,
                       size_t declared) {
  std::string header =
      R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,2,1,2],)"
      R"("parameters":{"binary_data_size":)" +
      std::to_string(declared) + "}}]}";
  headerLength = header.size();
  std::string body = header;
  body.append(reinterpret_cast<const char *>(values.data()),
              values.size() * sizeof(float));
  return body;
}

} // namespace

TEST_CASE("a binary infer request gives its tensor bit for bit", "[serve]") {
  std::vector<float> values = {1.5f, -0.0f, 3e-39f, 7.25f};
  size_t headerLength = 0;
  std::string body = binaryBody(values, headerLength, 16);
  InferRequest r = parseInferRequest(body, headerLength, kInputs, kOutputs);
  REQUIRE(r.inputs.size() == 1);
  CHECK(r.inputs[0].shape == Shape{1, 2, 1, 2});
  REQUIRE(r.inputs[0].data.size() == 4);
  CHECK(std::memcmp(r.inputs[0].data.data(), values.data(), 16) == 0);
  // Every output, as JSON, when none is asked for.
  CHECK(r.outputs == std::vector<size_t>{0, 1});
  CHECK(r.binary == std::vector<bool>{false, false});
  CHECK(statusOf(body.substr(0, body.size() - 1), headerLength) == 400);
  CHECK(statusOf(binaryBody(values, headerLength, 12), headerLength) == 400);
}

TEST_CASE("binary outputs follow the JSON header, in the order asked for",
          "[serve]") {
  InferRequest r = parseInferRequest(
      R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,2,1,1],)"
      R"("data":[1,2]}],"outputs":[{"name":"z","parameters":)"
      R"({"binary_data":true}},{"name":"y"}]})",
      std::nullopt, kInputs, kOutputs);
  CHECK(r.outputs == std::vector<size_t>{1, 0});
  CHECK(r.binary == std::vector<bool>{true, false});
  std::vector<Tensor> results = {Tensor({1, 1, 1, 1}, 2.0f),
                                 Tensor({1, 1, 1, 2}, 0.5f)};
  InferResponse out = encodeInferResponse("m", r, kOutputs, results);
  REQUIRE(out.headerLength);
  REQUIRE(out.body.size() == *out.headerLength + 8);
  float tail[2];
  std::memcpy(tail, out.body.data() + *out.headerLength, 8);
  CHECK(tail[0] == 0.5f);
  CHECK(tail[1] == 0.5f);
  std::string header = out.body.substr(0, *out.headerLength);
  CHECK(header.find(R"("binary_data_size":8)") != std::string::npos);
  CHECK(header.find(R"("data":[2.0])") != std::string::npos);
}

TEST_CASE("malformed infer requests are 400, never an escape", "[serve]") {
  for (const char *body : {
           "",
           "null",
           "{\"inputs\":{}}",
           "{\"inputs\":[{\"name\":3}]}",
           "{\"inputs\":[{\"name\":\"x\",\"datatype\":7}]}",
           "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":"
           "[1,2,1,1],\"data\":[1,2],\"parameters\":[]}],\"parameters\":5}",
           "{\"id\":4,\"inputs\":[]}",
           "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":"
           "[1,2,4294967296,4294967296],\"data\":[]}]}",
           "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":"
           "[1,2,1,1],\"parameters\":{\"binary_data_size\":-8}}]}",
       })
    CHECK(statusOf(body) == 400);
}

TEST_CASE("slide paths resolve inside the roots only", "[serve]") {
  fs::path dir = fs::temp_directory_path() / "sstep-serve-roots";
  fs::remove_all(dir);
  fs::create_directories(dir / "root" / "case");
  std::ofstream(dir / "root" / "case" / "a.svs") << "x";
  std::ofstream(dir / "secret.svs") << "x";
  fs::create_symlink(dir / "secret.svs", dir / "root" / "out.svs");
  fs::create_symlink(dir / "root" / "case" / "a.svs", dir / "root" / "in.svs");
  SlideRoots roots({(dir / "root").string()});
  std::string a = fs::canonical(dir / "root" / "case" / "a.svs").string();
  CHECK(roots.resolve("case/a.svs") == a);
  CHECK(roots.resolve(a) == a);
  CHECK(roots.resolve("in.svs") == a);
  CHECK(roots.resolve("case/../case/a.svs") == a);
  CHECK_THROWS_AS(roots.resolve("../secret.svs"), PathRefused);
  CHECK_THROWS_AS(roots.resolve((dir / "secret.svs").string()), PathRefused);
  CHECK_THROWS_AS(roots.resolve("out.svs"), PathRefused);
  CHECK_THROWS_AS(roots.resolve("none.svs"), PathRefused);
  CHECK_THROWS_AS(roots.resolve(""), PathRefused);
  // A root that is a prefix of another folder's name does not admit it.
  fs::create_directories(dir / "rootx");
  std::ofstream(dir / "rootx" / "b.svs") << "x";
  CHECK_THROWS_AS(roots.resolve((dir / "rootx" / "b.svs").string()),
                  PathRefused);
  CHECK_THROWS_AS(SlideRoots({(dir / "nothing").string()}), PathRefused);
  CHECK_THROWS_AS(SlideRoots({}).resolve("a.svs"), PathRefused);
  fs::remove_all(dir);
}

TEST_CASE("latency buckets are cumulative in the exposition", "[serve]") {
  Metrics m;
  m.request("infer", 200, 0.003);
  m.request("infer", 200, 0.2);
  m.request("infer", 429, 100);
  m.work("infer", 5, 1.5);
  std::string text = m.text({{"g", "a gauge", {{"state=\"x\"", 2}}}});
  CHECK(text.find("sstep_requests_total{route=\"infer\",code=\"200\"} 2") !=
        std::string::npos);
  CHECK(text.find("sstep_request_seconds_bucket{route=\"infer\",le=\"0.001\"}"
                  " 0") != std::string::npos);
  CHECK(text.find("sstep_request_seconds_bucket{route=\"infer\",le=\"0.005\"}"
                  " 1") != std::string::npos);
  CHECK(text.find("sstep_request_seconds_bucket{route=\"infer\",le=\"60\"} "
                  "2") != std::string::npos);
  CHECK(text.find("sstep_request_seconds_bucket{route=\"infer\",le=\"+Inf\"}"
                  " 3") != std::string::npos);
  CHECK(text.find("sstep_tiles_total{kind=\"infer\"} 5") != std::string::npos);
  CHECK(text.find("g{state=\"x\"} 2") != std::string::npos);
}
