//===- InferProtocol.cpp - Open Inference Protocol infer messages ---------===//

#include "runtime/serve/InferProtocol.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <limits>

namespace sstep::serve {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string &message) {
  throw ProtocolError(400, message);
}

json parseJson(std::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception &e) {
    bad(std::string("malformed JSON: ") + e.what());
  }
}

/// The shape in `j`, checked against the model's `spec`.
Shape shapeOf(const json &j, const TensorSpec &spec) {
  const std::string what = "input '" + spec.name + "'";
  if (!j.is_array())
    bad(what + ": shape must be an array of integers");
  Shape shape;
  for (const json &d : j) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0 ||
        d.get<int64_t>() > (int64_t(1) << 31))
      bad(what + ": shape must be an array of integers from 0 to 2^31");
    shape.push_back(d.get<int64_t>());
  }
  auto text = [](const Shape &s) {
    std::string t = "[";
    for (size_t i = 0; i < s.size(); ++i)
      t += (i ? "," : "") +
           (s[i] < 0 ? std::string("-1") : std::to_string(s[i]));
    return t + "]";
  };
  bool fits = shape.size() == spec.shape.size();
  for (size_t i = 0; fits && i < shape.size(); ++i)
    fits = spec.shape[i] < 0 || spec.shape[i] == shape[i];
  if (!fits)
    bad(what + ": shape " + text(shape) + " does not fit the model's " +
        text(spec.shape));
  return shape;
}

int64_t elementsOf(const Shape &shape, const std::string &name) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / 4 / d)
      bad("input '" + name + "': shape too large");
    n *= d;
  }
  return n;
}

void flatten(const json &j, FloatBuffer &out, const std::string &name) {
  if (j.is_array()) {
    for (const json &e : j)
      flatten(e, out, name);
  } else if (j.is_number()) {
    out.push_back(j.get<float>());
  } else {
    bad("input '" + name + "': data holds " + std::string(j.type_name()) +
        " where a number belongs");
  }
}

/// The "parameters" object of `j` (empty when absent).
json parametersOf(const json &j) {
  if (!j.contains("parameters"))
    return json::object();
  if (!j.at("parameters").is_object())
    bad("parameters must be a JSON object");
  return j.at("parameters");
}

bool binaryFlag(const json &parameters, const char *key, bool fallback) {
  if (!parameters.contains(key))
    return fallback;
  const json &v = parameters.at(key);
  if (!v.is_boolean())
    bad(std::string("parameter ") + key + " must be true or false");
  return v.get<bool>();
}

json shapeJson(const Shape &shape) {
  json s = json::array();
  for (int64_t d : shape)
    s.push_back(d);
  return s;
}

} // namespace

namespace {

InferRequest parseChecked(std::string_view body,
                          std::optional<size_t> headerLength,
                          const std::vector<TensorSpec> &inputs,
                          const std::vector<std::string> &outputs) {
  if (headerLength && *headerLength > body.size())
    bad("Inference-Header-Content-Length " + std::to_string(*headerLength) +
        " exceeds the body's " + std::to_string(body.size()) + " bytes");
  std::string_view header = headerLength ? body.substr(0, *headerLength) : body;
  std::string_view binary =
      headerLength ? body.substr(*headerLength) : std::string_view();
  json j = parseJson(header);
  if (!j.is_object())
    bad("an infer request is a JSON object");
  InferRequest request;
  if (j.contains("id")) {
    if (!j["id"].is_string())
      bad("id must be a string");
    request.id = j["id"].get<std::string>();
  }
  if (!j.contains("inputs") || !j["inputs"].is_array())
    bad("an infer request needs an inputs array");
  request.inputs.resize(inputs.size());
  std::vector<bool> given(inputs.size(), false);
  size_t offset = 0;
  for (const json &in : j["inputs"]) {
    if (!in.is_object() || !in.contains("name") || !in["name"].is_string())
      bad("each input needs a name");
    std::string name = in["name"].get<std::string>();
    size_t index = 0;
    while (index < inputs.size() && inputs[index].name != name)
      ++index;
    if (index == inputs.size())
      bad("the model has no input '" + name + "'");
    if (given[index])
      bad("input '" + name + "' is given twice");
    given[index] = true;
    std::string datatype = in.value("datatype", "");
    if (datatype != "FP32")
      bad("input '" + name + "': datatype '" + datatype +
          "' is not supported; send FP32");
    Shape shape = shapeOf(in.value("shape", json()), inputs[index]);
    int64_t count = elementsOf(shape, name);
    Tensor t;
    t.shape = shape;
    const json parameters = parametersOf(in);
    if (parameters.contains("binary_data_size")) {
      const json &size = parameters["binary_data_size"];
      if (!size.is_number_unsigned() ||
          size.get<uint64_t>() > binary.size() - offset)
        bad("input '" + name + "': binary_data_size exceeds the " +
            std::to_string(binary.size() - offset) + " binary bytes left");
      size_t bytes = size.get<size_t>();
      if (bytes != size_t(count) * sizeof(float))
        bad("input '" + name + "': " + std::to_string(bytes) +
            " binary bytes for " + std::to_string(count) + " FP32 values");
      t.data.resize(size_t(count));
      std::memcpy(t.data.data(), binary.data() + offset, bytes);
      offset += bytes;
    } else {
      if (!in.contains("data"))
        bad("input '" + name + "' has neither data nor binary_data_size");
      flatten(in["data"], t.data, name);
      if (int64_t(t.data.size()) != count)
        bad("input '" + name + "': " + std::to_string(t.data.size()) +
            " values for a shape of " + std::to_string(count));
    }
    request.inputs[index] = std::move(t);
  }
  if (offset != binary.size())
    bad(std::to_string(binary.size() - offset) +
        " binary bytes belong to no input");
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!given[i])
      bad("input '" + inputs[i].name + "' is missing");

  bool allBinary = binaryFlag(parametersOf(j), "binary_data_output", false);
  if (j.contains("outputs")) {
    if (!j["outputs"].is_array())
      bad("outputs must be an array");
    for (const json &out : j["outputs"]) {
      if (!out.is_object() || !out.contains("name") || !out["name"].is_string())
        bad("each requested output needs a name");
      std::string name = out["name"].get<std::string>();
      size_t index = 0;
      while (index < outputs.size() && outputs[index] != name)
        ++index;
      if (index == outputs.size())
        bad("the model has no output '" + name + "'");
      request.outputs.push_back(index);
      request.binary.push_back(
          binaryFlag(parametersOf(out), "binary_data", allBinary));
    }
  }
  if (request.outputs.empty())
    for (size_t i = 0; i < outputs.size(); ++i) {
      request.outputs.push_back(i);
      request.binary.push_back(allBinary);
    }
  return request;
}

} // namespace

std::vector<TensorSpec> inputSpecsOf(const Program &p) {
  std::vector<TensorSpec> specs;
  for (int id : p.inputs)
    specs.push_back({p.values[size_t(id)].name, p.values[size_t(id)].shape});
  return specs;
}

std::vector<TensorSpec> outputSpecsOf(const Program &p) {
  std::vector<TensorSpec> specs;
  for (size_t i = 0; i < p.outputs.size(); ++i)
    specs.push_back({p.outputName(i), p.values[size_t(p.outputs[i])].shape});
  return specs;
}

InferRequest parseInferRequest(std::string_view body,
                               std::optional<size_t> headerLength,
                               const std::vector<TensorSpec> &inputs,
                               const std::vector<std::string> &outputs) {
  try {
    return parseChecked(body, headerLength, inputs, outputs);
  } catch (const json::exception &e) {
    // A field of the wrong type ("datatype": 3) and the like.
    bad(std::string("malformed infer request: ") + e.what());
  }
}

InferResponse encodeInferResponse(const std::string &model,
                                  const InferRequest &request,
                                  const std::vector<std::string> &outputNames,
                                  const std::vector<Tensor> &results) {
  json j = {{"model_name", model}, {"model_version", "1"}};
  if (!request.id.empty())
    j["id"] = request.id;
  j["outputs"] = json::array();
  std::string binary;
  for (size_t k = 0; k < request.outputs.size(); ++k) {
    const Tensor &t = results.at(request.outputs[k]);
    json out = {{"name", outputNames.at(request.outputs[k])},
                {"datatype", "FP32"},
                {"shape", shapeJson(t.shape)}};
    if (request.binary[k]) {
      size_t bytes = t.data.size() * sizeof(float);
      out["parameters"] = {{"binary_data_size", bytes}};
      binary.append(reinterpret_cast<const char *>(t.data.data()), bytes);
    } else {
      out["data"] = json(std::vector<float>(t.data.begin(), t.data.end()));
    }
    j["outputs"].push_back(std::move(out));
  }
  InferResponse response;
  response.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (!binary.empty() || std::find(request.binary.begin(), request.binary.end(),
                                   true) != request.binary.end()) {
    response.headerLength = response.body.size();
    response.body += binary;
  }
  return response;
}

std::string modelMetadata(const std::string &name,
                          const std::vector<TensorSpec> &inputs,
                          const std::vector<TensorSpec> &outputs) {
  auto list = [](const std::vector<TensorSpec> &specs) {
    json a = json::array();
    for (const TensorSpec &s : specs)
      a.push_back({{"name", s.name},
                   {"datatype", "FP32"},
                   {"shape", shapeJson(s.shape)}});
    return a;
  };
  json j = {{"name", name},
            {"versions", {"1"}},
            {"platform", "sstep_plan"},
            {"inputs", list(inputs)},
            {"outputs", list(outputs)}};
  return j.dump();
}

std::string errorBody(const std::string &message) {
  return json({{"error", message}})
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace sstep::serve
